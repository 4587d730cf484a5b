// The agent desk's browser phone: a SIP user agent (JsSIP) registered on
// Asterisk's SIP over WebSocket (/ws) as the agent's PJSIP endpoint, with
// WebRTC media (DTLS-SRTP). The desk shows its registration state and
// answers the calls the ACD offers to the agent.
import { UA, WebSocketInterface } from "jssip";
import type { RTCSession } from "jssip/lib/RTCSession";

export type Registration = "off" | "connecting" | "registered" | "unregistered" | "failed";
export type CallState = "idle" | "ringing" | "answering" | "talking" | "held";

export interface PhoneState {
  registration: Registration;
  /** why registration failed (SIP cause) */
  cause?: string;
  call: CallState;
  /** the caller as the INVITE named them */
  remote?: string;
}

export interface PhoneConfig {
  webrtcUrl: string;
  user: string;
  password: string;
}

/** Phone wraps one JsSIP UA; onChange gets every state change. */
export class Phone {
  private ua: UA | null = null;
  private session: RTCSession | null = null;
  private audio: HTMLAudioElement;
  state: PhoneState = { registration: "off", call: "idle" };

  constructor(private onChange: (s: PhoneState) => void) {
    this.audio = document.createElement("audio");
    this.audio.autoplay = true;
    this.audio.setAttribute("data-phone-audio", "");
    document.body.appendChild(this.audio);
  }

  private set(p: Partial<PhoneState>) {
    this.state = { ...this.state, ...p };
    this.onChange(this.state);
  }

  start(cfg: PhoneConfig) {
    this.stop();
    const host = new URL(cfg.webrtcUrl).hostname;
    const socket = new WebSocketInterface(cfg.webrtcUrl);
    const ua = new UA({ sockets: [socket], uri: `sip:${cfg.user}@${host}`, password: cfg.password, register: true, session_timers: false, register_expires: 120 });
    this.ua = ua;
    this.set({ registration: "connecting", cause: undefined });
    ua.on("registered", () => this.set({ registration: "registered", cause: undefined }));
    ua.on("unregistered", () => this.set({ registration: "unregistered" }));
    ua.on("registrationFailed", (e: { cause?: string }) => this.set({ registration: "failed", cause: e.cause }));
    ua.on("disconnected", () => {
      if (this.state.registration === "registered") this.set({ registration: "connecting" });
    });
    ua.on("newRTCSession", (e: { originator: string; session: RTCSession }) => {
      if (e.originator !== "remote") return;
      if (this.session) {
        e.session.terminate({ status_code: 486 });
        return;
      }
      const s = e.session;
      this.session = s;
      this.set({ call: "ringing", remote: s.remote_identity?.uri?.user ?? "" });
      const done = () => {
        if (this.session === s) this.session = null;
        this.audio.srcObject = null;
        this.set({ call: "idle", remote: undefined });
      };
      s.on("ended", done);
      s.on("failed", done);
      s.on("confirmed", () => this.set({ call: "talking" }));
      s.on("peerconnection", (ev: { peerconnection: RTCPeerConnection }) => this.attach(ev.peerconnection));
    });
    ua.start();
  }

  private attach(pc: RTCPeerConnection) {
    pc.addEventListener("track", (ev) => {
      const st = ev.streams[0] ?? new MediaStream([ev.track]);
      this.audio.srcObject = st;
    });
  }

  answer() {
    if (!this.session || this.state.call !== "ringing") return;
    this.set({ call: "answering" });
    // No STUN/TURN: the agent and Asterisk reach each other directly
    // (host candidates); gathering ends at once.
    this.session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
    if (this.session.connection) this.attach(this.session.connection);
  }

  hangup() {
    this.session?.terminate();
  }

  /** stats counts the RTP audio packets sent and received (the desk's audio check). */
  async stats(): Promise<{ sent: number; received: number }> {
    const pc = this.session?.connection;
    const out = { sent: 0, received: 0 };
    if (!pc) return out;
    (await pc.getStats()).forEach((r: { type: string; kind?: string; packetsSent?: number; packetsReceived?: number }) => {
      if (r.type === "outbound-rtp" && r.kind === "audio") out.sent += r.packetsSent ?? 0;
      if (r.type === "inbound-rtp" && r.kind === "audio") out.received += r.packetsReceived ?? 0;
    });
    return out;
  }

  stop() {
    this.session?.terminate();
    this.session = null;
    if (this.ua) {
      this.ua.stop();
      this.ua = null;
    }
    this.set({ registration: "off", call: "idle", remote: undefined });
  }

  dispose() {
    this.stop();
    this.audio.remove();
  }
}
