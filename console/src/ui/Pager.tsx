import { useSearchParams } from "react-router";

/** What a connection says about the page after the one shown. */
export type PageInfo = { hasNextPage: boolean; endCursor?: string | null };

/** "Newest" and "Older" for a listing paged by the URL's `after` cursor (every listing is newest first). */
export function Pager({ pageInfo }: { pageInfo: PageInfo | undefined }) {
  const [params, setParams] = useSearchParams();
  const after = params.get("after");
  const go = (cursor: string | null | undefined) => {
    const next = new URLSearchParams(params);
    if (cursor) next.set("after", cursor);
    else next.delete("after");
    setParams(next, { flushSync: true });
  };
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" className="button secondary" disabled={!after} onClick={() => go(null)}>
        Newest
      </button>
      <button type="button" className="button secondary" disabled={!pageInfo?.hasNextPage || !pageInfo.endCursor} onClick={() => go(pageInfo?.endCursor)}>
        Older
      </button>
    </nav>
  );
}
