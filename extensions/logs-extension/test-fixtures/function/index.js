'use strict';
// Fixture function for the logs extension's tests: logs the lines it is asked to, numbered.
exports.handler = async (event) => {
  for (let i = 0; i < (event.lines || 0); i++) console.log(`${event.tag} line ${event.first + i}`);
  if (event.secret) console.log(`connecting with ${process.env.DB_PASSWORD}`);
  return { logged: event.lines || 0 };
};
