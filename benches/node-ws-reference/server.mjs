// The reference for the live benchmarks (issue 4): a minimal broadcast server with Node.js and
// the npm `ws` package. It speaks just enough of our protocol for the load generator (`apo-loadgen`)
// to drive it: a snapshot frame on connect, and for each POST /api/v1/actuals a patch frame
// relaying the body to every socket, with the revision it "created". It does none of the real
// work (no validation, no durable write, no recomputation).
//
//   node server.mjs [HOST:PORT]     (default 127.0.0.1:18282)
import http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';

const [host, port] = (process.argv[2] ?? '127.0.0.1:18282').split(':');
let rev = 0;

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/api/v1/actuals') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    rev += 1;
    const body = Buffer.concat(chunks).toString('utf8');
    const frame = `{"type":"patch","rev":${rev},"base":${rev - 1},"ops":[${body}],"events":[]}`;
    for (const ws of wss.clients) {
      if (ws.readyState === WebSocket.OPEN) ws.send(frame);
    }
    const answer = JSON.stringify({ rev });
    res
      .writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) })
      .end(answer);
  });
});
server.keepAliveTimeout = 120_000;

const wss = new WebSocketServer({ server, path: '/api/v1/live', perMessageDeflate: false });
wss.on('connection', (ws) => ws.send(`{"type":"snapshot","rev":${rev},"data":{}}`));

server.listen(Number(port), host, () => console.log(`node ws reference on ${host}:${port}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
