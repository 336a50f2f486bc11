import type Dockerode from 'dockerode';
import { fencedError } from '../core/errors.js';

/**
 * Makes every request of `docker` that changes something (any method but GET and HEAD) ask `leads()`
 * first — a local check, no round trip — and fail with CARINA_ERR_FENCED, unsent, when it answers
 * false. Docker takes no fencing token: this narrows what a leader resumed after a pause can still
 * do on the engine from the rest of an engine action (a node's removal is several requests) to the
 * one request already on its way. The control plane wraps its clients of the engines that run nodes
 * (the local one, each host's) and of every node's own engine (swarm calls).
 */
export function fenceDocker(docker: Dockerode, leads: () => boolean): Dockerode {
  const modem = docker.modem;
  const dial = modem.dial.bind(modem);
  modem.dial = (options, callback) => {
    if (options.method === 'GET' || options.method === 'HEAD' || leads()) dial(options, callback);
    else callback?.(fencedError(undefined), null);
  };
  return docker;
}
