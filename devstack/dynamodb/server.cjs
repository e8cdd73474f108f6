// Starts dynalite (node_modules/dynalite/cli.js, same arguments) so that a client going away in the middle of a
// request cannot end it: dynalite rethrows a request's 'error' event ("aborted", ECONNRESET) from the listener,
// an uncaught exception that exits the process. A service killed with SIGKILL while it was sending a request
// (the crash test, the benchmark's --kill-at) took DynamoDB down with it. node_modules is never edited.
'use strict'

process.on('uncaughtException', (err) => {
  if (err && (err.code === 'ECONNRESET' || err.message === 'aborted')) {
    console.error(`dynalite: a client went away in the middle of a request (${err.code || err.message}); dropped`)
    return
  }
  console.error(err)
  process.exit(1)
})

require('../node_modules/dynalite/cli.js')
