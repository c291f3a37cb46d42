'use strict';
// Fixture function for the logs extension's tests: logs the lines it is asked to, numbered; with
// `rate` (lines per second) it paces them, as a function producing a steady stream of logs would;
// with `waitMs` it then waits that long, as a function waiting on a downstream call does.
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
exports.handler = async (event) => {
  const lines = event.lines || 0;
  const started = Date.now();
  for (let i = 0; i < lines; i++) {
    while (event.rate && i >= ((Date.now() - started + 1) * event.rate) / 1000) await tick();
    console.log(`${event.tag} line ${event.first + i}`);
  }
  if (event.secret) console.log(`connecting with ${process.env.DB_PASSWORD}`);
  if (event.waitMs) await new Promise((resolve) => setTimeout(resolve, event.waitMs));
  return { logged: lines };
};
