import type { ReactNode } from "react";

export interface Column<T> {
  header: string;
  /** The header is for screen readers only (an actions column). */
  headerHidden?: boolean;
  className?: string;
  cell: (row: T) => ReactNode;
}

/**
 * A data table: labelled, busy while loading, an empty row when there is nothing, and
 * `placeholderRows` of reserved height before the first answer so the page does not jump.
 */
export function Table<T>({
  label,
  columns,
  rows,
  rowKey,
  empty,
  busy = false,
  placeholderRows = 0,
  current,
}: {
  label: string;
  columns: Column<T>[];
  rows: readonly T[] | undefined;
  rowKey: (row: T) => string;
  empty: string;
  busy?: boolean;
  placeholderRows?: number;
  current?: string | undefined;
}) {
  return (
    <div className="table-wrap">
      <table aria-label={label} aria-busy={busy}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col">
                {c.headerHidden ? <span className="visually-hidden">{c.header}</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows?.map((row) => (
            <tr key={rowKey(row)} aria-current={current !== undefined && rowKey(row) === current ? "true" : undefined}>
              {columns.map((c) => (
                <td key={c.header} className={c.className}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
          {rows && rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="empty">
                {empty}
              </td>
            </tr>
          ) : null}
          {!rows
            ? Array.from({ length: placeholderRows }, (_, i) => (
                <tr key={i} className="placeholder-row" aria-hidden="true">
                  <td colSpan={columns.length}>&nbsp;</td>
                </tr>
              ))
            : null}
        </tbody>
      </table>
    </div>
  );
}
