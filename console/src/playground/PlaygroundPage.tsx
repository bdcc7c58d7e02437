import { useParams } from "react-router";
import { Playground } from "./Playground";

/** The console's Playground page: GraphiQL acting as the signed-in user in this environment. */
export default function PlaygroundPage() {
  const { env } = useParams();
  return (
    <section aria-labelledby="playground-title" className="playground">
      <h1 id="playground-title">Playground</h1>
      <p className="muted">
        Requests run as you, in this environment. To try a key instead, add <code>{'{"X-API-Key": "server-…"}'}</code> under Headers:
        the request then carries the key alone.
      </p>
      <div className="graphiql-frame">
        <Playground environment={env ?? "production"} />
      </div>
    </section>
  );
}
