// FunctionGraph's container-image example (an Express app answering
// POST /init and POST /invoke on port 8000), extended to do the benchmark job:
// parse the event, echo event.user.name and the request id, and return the
// {isBase64Encoded, statusCode, headers, body} envelope.
//
//   node express.js [PORT [HOST]]      (defaults: 8000, 0.0.0.0)
const express = require('express');

const PORT = Number(process.argv[2] || process.env.PORT || 8000);
const HOST = process.argv[3] || '0.0.0.0';

const app = express();
// the platform's events are JSON; accept them up to the 6 MiB platform limit
app.use(express.json({ type: '*/*', limit: '8mb' }));

app.post('/init', (req, res) => {
  res.json({});
});

app.post('/invoke', (req, res) => {
  const event = req.body || {};
  const body = JSON.stringify({
    name: event.user ? event.user.name : undefined,
    requestId: req.get('x-cff-request-id') || '',
  });
  res.json({
    isBase64Encoded: false,
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body,
  });
});

app.listen(PORT, HOST, () => {
  console.log(`listening on ${HOST}:${PORT}`);
});
