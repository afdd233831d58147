// Alternative backend for the I/O workload (same job as backend.conf.in):
// every request is answered after 20 ms (setTimeout) with a small body,
// keep-alive.  Selected with BENCH_IO_BACKEND=node.
//
//   node backend.js PORT [HOST [SLEEP_MS]]
const http = require('node:http');

const PORT = Number(process.argv[2] || 8001);
const HOST = process.argv[3] || '127.0.0.1';
const SLEEP_MS = Number(process.argv[4] || 20);
const BODY = 'backend-ok\n';

let accepts = 0;
let requests = 0;
const server = http.createServer((req, res) => {
  requests++;
  req.resume();
  if (req.url === '/_status') {
    // the counters in nginx's stub_status format (bench/run reads "accepts")
    const out = `Active connections: 0 \nserver accepts handled requests\n ${accepts} ${accepts} ${requests} \n`;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': out.length });
    return res.end(out);
  }
  setTimeout(() => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
    res.end(BODY);
  }, SLEEP_MS);
});
server.on('connection', () => { accepts++; });
server.keepAliveTimeout = 300000;
server.maxRequestsPerSocket = 0;
server.listen(PORT, HOST, 4096, () => console.log(`backend listening on ${HOST}:${PORT}`));
