// use-sync-external-store/shim/with-selector for the editor's store
// (zustand under @xyflow/react), as an ES module over Preact's
// useSyncExternalStore: the package's own file is CommonJS requiring all
// of "react", which would pull every compat function into the console's
// entry chunk. The logic is React's (MIT): a selection is kept while the
// snapshot is the same or isEqual says it did not change.
import { useDebugValue, useEffect, useMemo, useRef, useSyncExternalStore } from "preact/compat";

export function useSyncExternalStoreWithSelector<S, T>(
  subscribe: (cb: () => void) => () => void,
  getSnapshot: () => S,
  getServerSnapshot: undefined | null | (() => S),
  selector: (s: S) => T,
  isEqual?: (a: T, b: T) => boolean,
): T {
  const instRef = useRef<{ hasValue: boolean; value: T | null } | null>(null);
  if (instRef.current === null) instRef.current = { hasValue: false, value: null };
  const inst = instRef.current;
  const getSelection = useMemo(() => {
    let hasMemo = false;
    let memoSnapshot: S;
    let memoSelection: T;
    const select = (next: S): T => {
      if (!hasMemo) {
        hasMemo = true;
        memoSnapshot = next;
        const sel = selector(next);
        if (isEqual !== undefined && inst.hasValue && isEqual(inst.value as T, sel)) {
          memoSelection = inst.value as T;
          return memoSelection;
        }
        memoSelection = sel;
        return sel;
      }
      if (Object.is(memoSnapshot, next)) return memoSelection;
      const sel = selector(next);
      if (isEqual !== undefined && isEqual(memoSelection, sel)) {
        memoSnapshot = next;
        return memoSelection;
      }
      memoSnapshot = next;
      memoSelection = sel;
      return sel;
    };
    return () => select(getSnapshot());
  }, [getSnapshot, getServerSnapshot, selector, isEqual]);
  const value = useSyncExternalStore(subscribe, getSelection);
  useEffect(() => {
    inst.hasValue = true;
    inst.value = value;
  }, [value]);
  useDebugValue(value);
  return value;
}

export default { useSyncExternalStoreWithSelector };
