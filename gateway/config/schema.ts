import { approvalsConfigSchema } from '../approvals/config.js';

/**
 * JSON Schema (draft 2020-12 subset understood by Ajv) for claiim.yaml and for included rule files.
 * Shape only: references, uniqueness and secrets are checked in load.ts. Every object rejects unknown keys.
 */
const name = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' } as const;
const listener = {
  type: 'object', additionalProperties: false, required: ['port'],
  properties: { host: { type: 'string', minLength: 1 }, port: { type: 'integer', minimum: 0, maximum: 65535 } },
} as const;
const agentListener = {
  type: 'object', additionalProperties: false, required: ['port'],
  properties: {
    ...listener.properties,
    tls: {
      type: 'object', additionalProperties: false, required: ['cert_file', 'key_file'],
      properties: {
        cert_file: { type: 'string', minLength: 1 },
        key_file: { type: 'string', minLength: 1 },
        client_ca_file: { type: 'string', minLength: 1 },
        trust_domain: { type: 'string', pattern: '^[a-z0-9.-]+$' },
        watch_interval_ms: { type: 'integer', minimum: 10, maximum: 3600000 },
      },
    },
  },
} as const;
const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Schema of one rule. `match` is checked in depth by the rules compiler (rules/), which knows every condition. */
export const ruleSchema = {
  type: 'object', additionalProperties: false, required: ['id', 'effect', 'match'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' },
    effect: { enum: ['allow', 'deny'] },
    description: { type: 'string' },
    mode: { enum: ['enforce', 'shadow'] },
    requires: { enum: ['approval'] },
    match: {
      type: 'object', required: ['path'],
      properties: {
        path: { type: 'string', pattern: '^/' },
        methods: { anyOf: [{ const: '*' }, { type: 'array', minItems: 1, items: { enum: methods } }] },
      },
    },
  },
} as const;

/** An included rule file written as a plain list of rules. */
export const ruleListFileSchema = { type: 'array', items: ruleSchema } as const;

/** An included rule file written as `{description?, rules: [...]}`. */
export const ruleMapFileSchema = {
  type: 'object', additionalProperties: false, required: ['rules'],
  properties: { description: { type: 'string' }, rules: { type: 'array', items: ruleSchema } },
} as const;

export const configSchema = {
  type: 'object', additionalProperties: false, required: ['identity', 'aiorgs', 'upstreams', 'agents', 'policies'],
  properties: {
    listeners: { type: 'object', additionalProperties: false, properties: { agent: agentListener, admin: listener } },
    chron: {
      type: 'object', additionalProperties: false,
      properties: {
        db_path: { type: 'string', minLength: 1 },
        origin: { type: 'string', pattern: '^[^\\s+]+$' },
        signing_key_file: { type: 'string', minLength: 1 },
        checkpoint_interval_s: { type: 'integer', minimum: 0, maximum: 86400 },
      },
    },
    approvals: approvalsConfigSchema,
    reload: {
      type: 'object', additionalProperties: false,
      properties: { watch_interval_ms: { type: 'integer', minimum: 0, maximum: 3600000 } },
    },
    limits: {
      type: 'object', additionalProperties: false,
      properties: {
        max_header_bytes: { type: 'integer', minimum: 1024, maximum: 1048576 },
        max_body_bytes: { type: 'integer', minimum: 0, maximum: 104857600 },
        request_timeout_ms: { type: 'integer', minimum: 100, maximum: 3600000 },
        max_token_bytes: { type: 'integer', minimum: 256, maximum: 65536 },
        max_concurrent_per_agent: { type: 'integer', minimum: 1, maximum: 100000 },
        shutdown_grace_ms: { type: 'integer', minimum: 0, maximum: 600000 },
      },
    },
    identity: {
      type: 'object', additionalProperties: false, required: ['issuers'],
      properties: {
        clock_tolerance_s: { type: 'integer', minimum: 0, maximum: 300 },
        issuers: {
          type: 'array', minItems: 1,
          items: {
            type: 'object', additionalProperties: false, required: ['issuer', 'audience', 'algorithms'],
            properties: {
              issuer: { type: 'string', minLength: 1 },
              audience: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }] },
              algorithms: { type: 'array', minItems: 1, items: { enum: ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] } },
              key_files: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
              max_token_age_s: { type: 'integer', minimum: 1, maximum: 31536000 },
              jwks: {
                type: 'object', additionalProperties: false, required: ['url'],
                properties: {
                  url: { type: 'string', pattern: '^https?://' },
                  cooldown_ms: { type: 'integer', minimum: 0 },
                  cache_max_age_ms: { type: 'integer', minimum: 0 },
                  timeout_ms: { type: 'integer', minimum: 100 },
                },
              },
            },
          },
        },
      },
    },
    aiorgs: {
      type: 'array', minItems: 1,
      items: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: name, description: { type: 'string' } } },
    },
    upstreams: {
      type: 'array', minItems: 1,
      items: {
        type: 'object', additionalProperties: false, required: ['name', 'mount', 'target', 'aiorgs', 'credential'],
        properties: {
          name,
          mount: { type: 'string', pattern: '^/[a-z0-9][a-z0-9._-]*$' },
          target: { type: 'string', pattern: '^https?://' },
          plaintext: { type: 'boolean' },
          aiorgs: { type: 'array', minItems: 1, items: { type: 'string' } },
          path_case: { enum: ['sensitive', 'insensitive'] },
          timeout_ms: { type: 'integer', minimum: 100, maximum: 3600000 },
          connect_timeout_ms: { type: 'integer', minimum: 100, maximum: 600000 },
          ca_file: { type: 'string', minLength: 1 },
          hosts: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$' } },
          listen_port: { type: 'integer', minimum: 0, maximum: 65535 },
          websocket: { type: 'boolean' },
          path_encoded_slash: { enum: ['reject', 'decode'] },
          credential: {
            type: 'object', additionalProperties: false, required: ['header', 'format'],
            properties: {
              header: { type: 'string', pattern: '^[A-Za-z0-9-]+$' },
              format: { type: 'string', pattern: '\\{secret\\}' },
              env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
              file: { type: 'string', minLength: 1 },
            },
          },
        },
      },
    },
    agents: {
      type: 'array', minItems: 1,
      items: {
        type: 'object', additionalProperties: false, required: ['id', 'aiorg', 'anchor'],
        properties: {
          id: name, aiorg: { type: 'string' }, anchor: { type: 'string', minLength: 3 }, description: { type: 'string' },
          require_client_cert: { type: 'boolean' },
          skills: {
            type: 'array',
            items: { type: 'object', additionalProperties: false, required: ['name', 'range'], properties: { name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$' }, range: { type: 'string', minLength: 1 } } },
          },
        },
      },
    },
    groups: { type: 'object', propertyNames: name, additionalProperties: { type: 'array', minItems: 1, items: { type: 'string' } } },
    policies: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['agents', 'upstream'],
        properties: {
          description: { type: 'string' },
          agents: { type: 'array', minItems: 1, items: { type: 'string' } },
          upstream: { type: 'string' },
          rules: { type: 'array', items: ruleSchema },
          include: { type: 'array', items: { type: 'string', minLength: 1 } },
        },
      },
    },
  },
} as const;
