/**
 * Secrets out of anything printed: `check`, logs, the dashboard. Returns a copy; the config
 * itself keeps the real values for the broker client.
 */
import { type PipelineConfig } from './pipeline-config.ts';

/** What a masked secret reads as. */
export const maskedSecret = '***';

/** A copy of `config` with the SASL password replaced by `***`. */
export function maskSecrets(config: PipelineConfig): PipelineConfig {
  const { sasl } = config.broker;
  if (sasl === null) return config;
  return { ...config, broker: { ...config.broker, sasl: { ...sasl, password: maskedSecret } } };
}
