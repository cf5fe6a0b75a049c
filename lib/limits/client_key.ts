/**
 * Who a client is, for the per-client limits: its container when the engine
 * says which it is, else its source address, else the unix listener it came
 * in on (every client of a unix socket is one client). Pure.
 */

/** What is known of a connection's client. */
export interface ClientFacts {
  /** The client's container, when the client directory identified it. */
  readonly container: { readonly id: string; readonly name: string } | null;
  /** The source address (IPv4-mapped IPv6 already unwrapped), `null` on a unix socket. */
  readonly host: string | null;
  /** The listener, as `LISTEN` writes it. */
  readonly listener: string;
}

/** The key the limits count by: `container:<id>`, `address:<ip>` or `listener:<listener>`. */
export function clientKey(facts: ClientFacts): string {
  if (facts.container !== null) return `container:${facts.container.id}`;
  if (facts.host !== null) return `address:${facts.host}`;
  return `listener:${facts.listener}`;
}
