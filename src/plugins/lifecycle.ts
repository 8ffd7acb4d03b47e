// Wires the process lifecycle (lifecycle/) into the app: while draining, every answer tells its
// keep-alive client to reconnect, so clients move to another pod, and waits while the drain
// holds answers back to close the listener; closing the app stops the event-loop monitor's timer.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { EventLoopMonitor } from '../lifecycle/event-loop-monitor.js';
import type { Lifecycle } from '../lifecycle/lifecycle-state.js';

export default fp<{ lifecycle: Lifecycle; eventLoop: EventLoopMonitor }>(
  function lifecyclePlugin(app: FastifyInstance, { lifecycle, eventLoop }) {
    // Decided when the answer is sent, so requests already in flight when draining starts say
    // it too.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (lifecycle.state === 'draining') {
        reply.header('connection', 'close');
        const held = lifecycle.answersHeldUntil;
        if (held !== null) {
          void held.then(() => {
            done(null, payload);
          });
          return;
        }
      }
      done(null, payload);
    });
    app.addHook('onClose', (_instance, done) => {
      eventLoop.stop();
      done();
    });
  },
  { name: 'lifecycle' },
);
