// The policy engine's public surface.
export { PolicyEngine, describeEndpoint } from './core/engine.ts';
export { formatExplanationText } from './core/format.ts';
export {
  endpointForIp,
  parseEndpointRef,
  parsePortSpec,
  queryFromFlow,
  queryFromRequest,
  type ExplainRequest,
} from './core/refs.ts';
export {
  PolicyInputError,
  type ConnectionQuery,
  type Explanation,
  type Lang,
} from './core/types.ts';
