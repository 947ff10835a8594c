// Loaded with --import into every test file of `npm run test:unit` (scripts/run-tests.mjs
// --unit). The fast tier is defined as "starts no process, opens no server": this makes that
// definition enforceable. Inside a node:test child (NODE_TEST_CONTEXT is set there), starting a
// process or listening on a socket throws at once with the file's name, so a test that belongs
// in a `test/` folder cannot slip into the fast tier unnoticed. esbuild's own service binary
// (tsx compiles TypeScript with it) is the one process allowed.
import childProcess from 'node:child_process';
import net from 'node:net';
import { syncBuiltinESMExports } from 'node:module';

if (process.env.NODE_TEST_CONTEXT) {
  const refuse = (what) => {
    throw new Error(
      `the unit tier starts no process and opens no server, but this test ${what}; ` +
        'move it to the package\'s test/ folder (see "Tests" in the README)',
    );
  };
  const isEsbuild = (command) => typeof command === 'string' && /esbuild/.test(command);
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
    const original = childProcess[name];
    childProcess[name] = function guarded(command, ...rest) {
      if (!isEsbuild(command) && !(name === 'execFileSync' && isEsbuild(rest[0]?.[0]))) refuse(`runs ${name}(${String(command)})`);
      return original.call(this, command, ...rest);
    };
  }
  net.Server.prototype.listen = function guardedListen() {
    refuse('listens on a socket');
  };
  syncBuiltinESMExports();
}
