// node:http contender for the I/O workload: POST /invoke parses the event,
// makes one GET to the backend (BACKEND_URL) through a keep-alive agent, and
// echoes event.user.name, the request id and the backend's answer in the
// {isBase64Encoded, statusCode, headers, body} envelope.  POST /init -> 200.
//
//   BACKEND_URL=http://127.0.0.1:PORT node node.js [PORT [HOST [WORKERS]]]
//
// WORKERS (default 2) event loops: node:cluster forks that many processes
// sharing the listening port, as nginx runs 2 worker processes and fnlua
// 2 workers in the benchmark.  WORKERS=1 runs a single process.
const cluster = require('node:cluster');
const http = require('node:http');

const PORT = Number(process.argv[2] || process.env.PORT || 8000);
const HOST = process.argv[3] || '0.0.0.0';
const WORKERS = Number(process.argv[4] || process.env.NODE_WORKERS || 2);
const BACKEND = new URL('/', process.env.BACKEND_URL || 'http://127.0.0.1:8001');
const MAX_BODY = 6291456;

if (WORKERS > 1 && cluster.isPrimary) {
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  cluster.on('exit', (w, code, sig) => {
    console.error(`worker ${w.process.pid} exited (${sig || code})`);
    process.exit(1);
  });
  const stop = () => {
    for (const id in cluster.workers) cluster.workers[id].process.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  serve();
}

function serve() {
  const agent = new http.Agent({ keepAlive: true });

  function send(res, status, obj, extra) {
    const out = JSON.stringify(obj);
    res.writeHead(status, Object.assign({
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(out),
    }, extra || {}));
    res.end(out);
  }

  function callBackend(cb) {
    const req = http.request({
      host: BACKEND.hostname, port: BACKEND.port, path: BACKEND.pathname,
      method: 'GET', agent,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => cb(null, res.statusCode, Buffer.concat(chunks).toString('utf8')));
      res.on('error', (e) => cb(e));
    });
    req.on('error', (e) => cb(e));
    req.end();
  }

  const server = http.createServer((req, res) => {
    if (req.url !== '/invoke' && req.url !== '/init') {
      req.resume();
      return send(res, 404, { errorType: 'NotFound', errorMessage: 'no such path' });
    }
    if (req.method !== 'POST') {
      req.resume();
      return send(res, 405, { errorType: 'MethodNotAllowed', errorMessage: 'use POST' }, { Allow: 'POST' });
    }
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return send(res, 413, { errorType: 'TooLarge', errorMessage: 'event too large' });
      if (req.url === '/init') return send(res, 200, {});
      let event;
      try {
        event = size ? JSON.parse(Buffer.concat(chunks, size).toString('utf8')) : {};
      } catch (e) {
        return send(res, 400, { errorType: 'BadRequest', errorMessage: 'event is not valid JSON' });
      }
      callBackend((err, status, text) => {
        if (err || status !== 200) {
          console.error('backend call failed:', err ? err.message : status);
          return send(res, 502, { errorType: 'BadGateway', errorMessage: 'backend call failed' });
        }
        const body = JSON.stringify({
          name: event && event.user ? event.user.name : undefined,
          requestId: req.headers['x-cff-request-id'] || '',
          backendStatus: status,
          backend: text,
        });
        send(res, 200, {
          isBase64Encoded: false,
          statusCode: 200,
          headers: { 'Content-Type': 'application/json' },
          body,
        });
      });
    });
  });
  server.keepAliveTimeout = 75000;
  server.listen(PORT, HOST, 1024, () => {
    console.log(`listening on ${HOST}:${PORT} (pid ${process.pid})`);
  });
}
