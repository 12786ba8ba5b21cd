// Every KubeConfig this project makes talks HTTP/1.1 to the apiserver.
//
// client-node 2 sends through undici 8, which negotiates HTTP/2 whenever the server offers it (the
// apiserver does). On Node 24.21 such a client session can spin inside
// Http2Session::SendPendingData, queueing frames without end and never yielding to the event loop:
// a test process went from 0.3 to 21 GB RSS in ~100 s and aborted with std::bad_alloc (6 of 17 runs
// of test/integration/ship/cli.test.ts; gdb showed the main thread in that loop every time). With
// HTTP/1.1 it did not happen in 15 runs. HTTP/1.1 costs one connection per open watch (the
// controller holds nine) and ~1 MB of RSS more per connection (benchmark: +10-17 MB), and it took
// less CPU in the apiserver and here (10,000-ExternalSecret converge 142.5 -> 96.5 s): BENCHMARKS.md.
import { KubeConfig } from '@kubernetes/client-node';

type DispatcherOptions = ReturnType<KubeConfig['createDispatcherOptions']>;
type ConnectOptions = Extract<DispatcherOptions, { type: 'agent' }>['connect'];

/** undici reads allowH2 from the connect options; client-node's types do not list it. */
function http1(connect: ConnectOptions | undefined): ConnectOptions {
  const options: ConnectOptions & { allowH2: boolean } = { ...connect, allowH2: false };
  return options;
}

/** Restricts a KubeConfig's connections to HTTP/1.1; returns the same object. */
function http1Only(kc: KubeConfig): KubeConfig {
  const options = kc.createDispatcherOptions.bind(kc);
  kc.createDispatcherOptions = (cluster, agentOptions): DispatcherOptions => {
    const o = options(cluster, agentOptions);
    switch (o.type) {
      case 'agent':
      case 'proxy':
        return { ...o, connect: http1(o.connect) };
      case 'none':
        // client-node would fall back to undici's global dispatcher, which allows HTTP/2.
        return { type: 'agent', connect: http1({ keepAlive: true, keepAliveInitialDelay: 30_000 }) };
      case 'socks':
        return o; // undici's socks connector is a function: it takes no ALPN choice from us
    }
  };
  return kc;
}

/** A new, empty KubeConfig whose connections are HTTP/1.1 (load it as usual). */
export function newKubeConfig(): KubeConfig {
  return http1Only(new KubeConfig());
}
