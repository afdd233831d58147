// A plain node:http server doing the benchmark job without a framework:
// POST /init and POST /invoke, parse the event, echo event.user.name and the
// request id, return the {isBase64Encoded, statusCode, headers, body} envelope.
//
//   node http.js [PORT [HOST]]      (defaults: 8000, 0.0.0.0)
const http = require('node:http');

const PORT = Number(process.argv[2] || process.env.PORT || 8000);
const HOST = process.argv[3] || '0.0.0.0';
const MAX_BODY = 6291456;

function send(res, status, obj, extra) {
  const out = JSON.stringify(obj);
  res.writeHead(status, Object.assign({
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(out),
  }, extra || {}));
  res.end(out);
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
    const body = JSON.stringify({
      name: event && event.user ? event.user.name : undefined,
      requestId: req.headers['x-cff-request-id'] || '',
    });
    send(res, 200, {
      isBase64Encoded: false,
      statusCode: 200,
      headers: { 'Content-Type': 'application/json' },
      body,
    });
  });
});
server.keepAliveTimeout = 75000;
server.listen(PORT, HOST, () => {
  console.log(`listening on ${HOST}:${PORT}`);
});
