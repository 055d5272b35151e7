// A TCP pass-through in front of a bridge, so a test can cut the network under a browser
// while TLS stays end to end. cut() drops every connection and refuses new ones until
// resume(); freeze() keeps the connections but stops forwarding, counting the bridge's
// bytes it swallows: an event the bridge wrote that the browser never gets.
import net from 'node:net';

export function startProxy(targetPort, listenPort) {
  const pairs = new Set();
  let paused = false;
  let frozen = false;
  const stats = { swallowedFromBridge: 0 };
  const server = net.createServer((client) => {
    if (paused) return client.destroy();
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    client.on('data', (d) => {
      if (!frozen) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (frozen) stats.swallowedFromBridge += d.length;
      else client.write(d);
    });
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  return new Promise((resolve) => {
    server.listen(listenPort, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        stats,
        freeze() {
          frozen = true;
          stats.swallowedFromBridge = 0;
        },
        cut() {
          paused = true;
          frozen = false;
          for (const { client, upstream } of pairs) {
            client.destroy();
            upstream.destroy();
          }
          pairs.clear();
        },
        resume() {
          paused = false;
        },
        close() {
          this.cut();
          return new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}
