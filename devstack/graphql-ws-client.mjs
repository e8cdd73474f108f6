// The reference graphql-ws client (enisdenjo/graphql-ws, protocol graphql-transport-ws) for the subscription tests:
//   node graphql-ws-client.mjs URL TOKEN QUERY [VARIABLES_JSON]
// subscribes once and prints, one JSON object a line on stdout: {"event":"connected"} on the server's ack, then
// {"event":"next","payload":...} for each result, {"event":"error","payload":...} or {"event":"complete"}, and
// {"event":"closed","code":N,"reason":"..."} when the socket closes (the client then exits). An empty TOKEN sends no
// authorization in connection_init. No retries: a refusal shows as the close code the server chose.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, query, variables] = process.argv.slice(2);
if (!url || query === undefined) {
  console.error('usage: node graphql-ws-client.mjs URL TOKEN QUERY [VARIABLES_JSON]');
  process.exit(2);
}
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
  connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  on: {
    connected: () => print({ event: 'connected' }),
    closed: (e) => {
      print({ event: 'closed', code: e.code, reason: e.reason });
      process.exit(0);
    },
  },
  onNonLazyError: () => {},
});

client.subscribe({ query, variables: variables ? JSON.parse(variables) : {} }, {
  next: (payload) => print({ event: 'next', payload }),
  error: (err) => {
    // a close event (the socket ended) is printed by on.closed; an operation error is a list of GraphQL errors
    if (Array.isArray(err)) print({ event: 'error', payload: err });
    if (Array.isArray(err)) client.dispose();
  },
  complete: () => {
    print({ event: 'complete' });
    client.dispose();
  },
});
