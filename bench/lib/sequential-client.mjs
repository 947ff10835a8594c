// Sends N sequential keep-alive GETs to 127.0.0.1:PORT/ROUTE over one connection, then exits.
// Usage: node bench/lib/sequential-client.mjs PORT N ROUTE
import http from 'node:http';

const [port, count, route] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4] ?? 'hello'];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
for (let i = 0; i < count; i++) {
  await new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: `/${route}`, agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
        res.resume();
        res.on('end', resolve);
      })
      .on('error', reject);
  });
}
agent.destroy();
