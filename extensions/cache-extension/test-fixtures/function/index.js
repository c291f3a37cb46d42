'use strict';
// Fixture function for the cache extension's sandbox tests: reads through the extension's HTTP API,
// once during INIT (module load) and then as each event asks.
const http = require('node:http');

const agent = new http.Agent({ keepAlive: true });
const get = (path, headers = {}) =>
  new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: Number(process.env.CACHE_EXTENSION_PORT ?? 4000), path, headers, agent },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            cache: res.headers['x-cache'],
            stale: res.headers['x-cache-stale'],
            body: body ? JSON.parse(body) : undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
const auth = () => ({ 'x-aws-parameters-secrets-token': process.env.AWS_SESSION_TOKEN });

// Issued while the function initialises: the extension must already listen, and have the value.
const atInit = get('/parameters?name=/fixture/greeting', auth());

exports.handler = async (event) => {
  switch (event.action) {
    case 'init':
      return atInit;
    case 'get':
      return get(event.path, { ...(event.token === false ? {} : auth()), ...(event.headers || {}) });
    case 'concurrent':
      return Promise.all(Array.from({ length: event.n }, () => get(event.path, auth())));
    default:
      return { unknownAction: event.action };
  }
};
