import { useConfirm, type ConfirmOptions } from "./Confirm";
import { useToast } from "./Toast";

/** An Action is one console action on the API: asked first when ask is set (destructive ones), then run; done says what happened, after refreshes what it changed. */
export interface Action<T> {
  ask?: ConfirmOptions;
  run: () => Promise<T>;
  done?: string | ((r: T) => string);
  after?: (r: T) => void;
}

/**
 * useAction runs console actions the same way on every screen: the
 * confirmation step when the action asks for one, the API call, a toast
 * saying what happened, then the refresh. An API error is shown in a toast
 * with the API's own message. The returned promise says whether it ran.
 */
export function useAction() {
  const confirm = useConfirm();
  const toast = useToast();
  return async <T>(a: Action<T>): Promise<boolean> => {
    if (a.ask && !(await confirm(a.ask))) return false;
    try {
      const r = await a.run();
      const msg = typeof a.done === "function" ? a.done(r) : a.done;
      if (msg) toast(msg);
      a.after?.(r);
      return true;
    } catch (e) {
      toast((e as Error).message, "error");
      return false;
    }
  };
}
