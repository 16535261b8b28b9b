// kinesalite.js: a Kinesis emulator for the tests, bound to loopback only
// (kinesalite's own command line binds every interface).
//	node kinesalite.js PORT [LEVELDB-DIR]
// PORT 0 takes a free one; the port it listens on is printed as
// "port N" on stdout once it does.  SIGTERM stops it.
'use strict';
const kinesalite = require('kinesalite');
const port = Number(process.argv[2] || 0);
const opts = { createStreamMs: 10, deleteStreamMs: 10, updateStreamMs: 10,
    shardLimit: 100 };
if (process.argv[3])
	opts.path = process.argv[3];
const server = kinesalite(opts).listen(port, '127.0.0.1', () => {
	process.stdout.write('port ' + server.address().port + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
