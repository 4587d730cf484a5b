// The password rule the API enforces (accounts: 8 to 72 bytes, the most
// bcrypt uses), checked in the console before sending so the person sees
// it next to the field at once; the API's own answer still lands there too.

export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 72;

/** passwordHint is the rule as shown under a password field. */
export const passwordHint = `${MIN_PASSWORD} to ${MAX_PASSWORD} characters; a few words make a good one.`;

/** passwordProblem says what is wrong with pw under the API's rule, "" if nothing. */
export function passwordProblem(pw: string): string {
  const n = new TextEncoder().encode(pw).length;
  if (n < MIN_PASSWORD) return `Use at least ${MIN_PASSWORD} characters.`;
  if (n > MAX_PASSWORD) return `Use at most ${MAX_PASSWORD} bytes (fewer characters with accents or symbols).`;
  return "";
}
