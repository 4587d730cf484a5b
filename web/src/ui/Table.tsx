import { memo, useMemo, useState, type ReactNode } from "react";

export interface Column<T> {
  key: string;
  label: string;
  render?: (row: T) => ReactNode;
  /** value used for sorting and searching (default row[key]) */
  value?: (row: T) => string | number | undefined | null;
  sortable?: boolean;
  className?: string;
}

interface Props<T> {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string | number;
  empty: ReactNode;
  caption?: string;
  search?: boolean;
  initialSort?: { key: string; dir: "asc" | "desc" };
  loading?: boolean;
}

function val<T>(c: Column<T>, r: T): string | number {
  const v = c.value ? c.value(r) : (r as Record<string, unknown>)[c.key];
  if (v === undefined || v === null) return "";
  return typeof v === "number" ? v : String(v);
}

/**
 * Row is one table row. It renders again only when its row or the columns
 * change: a page that keeps its columns (useMemo) and appends a page of
 * rows draws the new rows alone, not the hundreds already shown.
 */
const Row = memo(function Row({ row, columns }: { row: unknown; columns: Column<unknown>[] }) {
  return (
    <tr>
      {columns.map((c) => (
        <td key={c.key} className={c.className} data-label={c.label}>
          {c.render ? c.render(row) : String(val(c, row))}
        </td>
      ))}
    </tr>
  );
}) as <T>(p: { row: T; columns: Column<T>[] }) => ReactNode;

/** DataTable is a table with sortable headers, an optional search box and an empty state. */
export function DataTable<T>({ columns, rows, rowKey, empty, caption, search, initialSort, loading }: Props<T>) {
  const [q, setQ] = useState("");
  const [sort, setSort] = useState(initialSort);
  const shown = useMemo(() => {
    let xs = rows;
    if (q.trim()) {
      const needle = q.trim().toLowerCase();
      xs = xs.filter((r) => columns.some((c) => String(val(c, r)).toLowerCase().includes(needle)));
    }
    if (sort) {
      const c = columns.find((x) => x.key === sort.key);
      if (c) {
        xs = [...xs].sort((a, b) => {
          const va = val(c, a), vb = val(c, b);
          const d = typeof va === "number" && typeof vb === "number" ? va - vb : String(va).localeCompare(String(vb), undefined, { numeric: true });
          return sort.dir === "asc" ? d : -d;
        });
      }
    }
    return xs;
  }, [rows, q, sort, columns]);
  return (
    <div className="table-wrap">
      {search && (
        <div className="table-tools">
          <input type="search" className="input search" placeholder="Search" aria-label={`Search ${caption ?? "table"}`} value={q} onChange={(e) => setQ(e.target.value)} />
          <span className="muted">
            {shown.length} of {rows.length}
          </span>
        </div>
      )}
      <div className="table-scroll">
        <table className="table">
          {caption && <caption className="sr-only">{caption}</caption>}
          <thead>
            <tr>
              {columns.map((c) => {
                const s = sort?.key === c.key ? sort.dir : undefined;
                return (
                  <th key={c.key} scope="col" className={c.className} aria-sort={s === "asc" ? "ascending" : s === "desc" ? "descending" : undefined}>
                    {c.sortable === false ? (
                      c.label
                    ) : (
                      <button type="button" className="th-sort" onClick={() => setSort({ key: c.key, dir: s === "asc" ? "desc" : "asc" })}>
                        {c.label}
                        <span aria-hidden="true" className="sort-mark">
                          {s === "asc" ? "▲" : s === "desc" ? "▼" : ""}
                        </span>
                      </button>
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <Row key={rowKey(r)} row={r} columns={columns} />
            ))}
          </tbody>
        </table>
      </div>
      {!loading && shown.length === 0 && <div className="empty">{rows.length === 0 ? empty : "Nothing matches the search."}</div>}
      {loading && <div className="empty">Loading…</div>}
    </div>
  );
}
