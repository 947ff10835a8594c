/**
 * Preloaded (`--import`) into every service `samosachaat start` launches. The services run in
 * their own process group (so Ctrl-C reaches only the launcher, which stops them in order);
 * this guard makes sure they never outlive it: the launcher holds their stdin open, and when
 * it goes away (even killed with SIGKILL) stdin ends and the service stops gracefully.
 *
 * Only the process the launcher started is guarded (SAMOSACHAAT_PARENT_GUARD, removed here):
 * a child process a service forks inherits the preload but not the variable, so it is left
 * alone (node-llama-cpp tests its binary in such a child, whose stdin is closed).
 */
if (process.env['SAMOSACHAAT_PARENT_GUARD'] === '1') {
  delete process.env['SAMOSACHAAT_PARENT_GUARD'];
  process.stdin.on('error', () => undefined);
  process.stdin.once('end', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.once('close', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.resume();
  // Do not keep the service alive on our account.
  (process.stdin as unknown as { unref?: () => void }).unref?.();
}
