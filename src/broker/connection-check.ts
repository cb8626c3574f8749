/**
 * The start-up check of the broker settings: one real request with the pipeline's TLS and SASL
 * before anything else talks to the broker, so a bad setting ends the command in seconds with a
 * message naming the problem, instead of kafkajs retrying it for minutes.
 *
 *   wrong SASL password, unknown mechanism   -> fails at once: "authentication failed ..."
 *   TLS to a plaintext port, untrusted cert  -> fails at once: "TLS handshake ... failed ..."
 *   host name that does not resolve          -> fails at once: "cannot resolve host ..."
 *   connection refused / timed out           -> retried for `graceMs` (a broker may be starting)
 */
import { type Logger } from '../logger.ts';
import { type BrokerProblem } from './broker-errors.ts';
import { type BrokerConnectionConfig, checkBroker } from './client.ts';

/** A broker setting that cannot work, or a broker that did not answer in time. */
export class BrokerConnectionError extends Error {
  readonly problem: BrokerProblem;

  constructor(problem: BrokerProblem) {
    super(problem.message);
    this.name = 'BrokerConnectionError';
    this.problem = problem;
  }
}

/** Options of verifyBrokerConnection(). */
export interface VerifyBrokerOptions {
  log: Logger;
  /** How long a refused or silent broker is waited for. Default 10 s. */
  graceMs?: number;
  /** Timeout of one attempt. Default 3 s. */
  attemptTimeoutMs?: number;
}

/**
 * Resolves once the broker answers a DescribeCluster with these settings; rejects with a
 * BrokerConnectionError (its message is the one line to print) otherwise.
 */
export async function verifyBrokerConnection(
  config: BrokerConnectionConfig,
  brokers: readonly string[],
  options: VerifyBrokerOptions,
): Promise<void> {
  const deadline = Date.now() + (options.graceMs ?? 10_000);
  let waitingLogged = false;
  for (;;) {
    const problem = await checkBroker(config, brokers, options.attemptTimeoutMs ?? 3_000);
    if (problem === undefined) return;
    // Refused or timed out may mean "still starting"; anything else will not fix itself.
    if (problem.kind !== 'unreachable' && problem.kind !== 'other') throw new BrokerConnectionError(problem);
    if (Date.now() >= deadline) throw new BrokerConnectionError(problem);
    if (!waitingLogged) {
      options.log.info('waiting for the Kafka broker to answer', { brokers: brokers.join(','), error: problem.cause });
      waitingLogged = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
