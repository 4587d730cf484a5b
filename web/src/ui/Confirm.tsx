import { createContext, useCallback, useContext, useState, type ReactNode } from "react";
import { Modal } from "./Modal";

interface Ask {
  title: string;
  message: ReactNode;
  confirm: string;
  cancel: string;
  danger: boolean;
  resolve: (ok: boolean) => void;
}

/** ConfirmOptions is what the confirmation dialog says: its title, the question, and its two buttons. */
export type ConfirmOptions = { title: string; message: ReactNode; confirm?: string; cancel?: string; danger?: boolean };

type ConfirmFn = (o: ConfirmOptions) => Promise<boolean>;

const Ctx = createContext<ConfirmFn>(async () => false);

/** ConfirmProvider backs useConfirm: a dialog that asks before a destructive action. */
export function ConfirmProvider({ children }: { children: ReactNode }) {
  const [ask, setAsk] = useState<Ask | null>(null);
  const confirm = useCallback<ConfirmFn>(
    (o) =>
      new Promise<boolean>((resolve) =>
        setAsk({ title: o.title, message: o.message, confirm: o.confirm ?? "Yes", cancel: o.cancel ?? "No", danger: o.danger ?? true, resolve }),
      ),
    [],
  );
  const done = (ok: boolean) => {
    ask?.resolve(ok);
    setAsk(null);
  };
  return (
    <Ctx.Provider value={confirm}>
      {children}
      {ask && (
        <Modal
          title={ask.title}
          onClose={() => done(false)}
          footer={
            <>
              <button type="button" className="btn" onClick={() => done(false)}>
                {ask.cancel}
              </button>
              <button type="button" className={ask.danger ? "btn btn-danger" : "btn btn-primary"} onClick={() => done(true)} autoFocus>
                {ask.confirm}
              </button>
            </>
          }
        >
          <div className="confirm-text">{ask.message}</div>
        </Modal>
      )}
    </Ctx.Provider>
  );
}

export function useConfirm() {
  return useContext(Ctx);
}
