/**
 * The Alloy components (and nested blocks) samosaChaat's log-shipping configuration may use,
 * with the arguments (and their types), blocks and exports Grafana documents for each (Alloy
 * 1.x component reference; where the reference and the code's argument tags disagree on
 * whether an argument is required — stage.labels, stage.label_drop… `values` — the code's
 * answer is used). inspect.ts checks the generated files against it: an unknown
 * component, argument or block, a missing required argument, a value of the wrong type or
 * outside the documented choices, or a reference to an export a component does not have
 * fails the check, as `alloy run` would fail to load the file.
 *
 * The catalogue is deliberately small: a component that is not listed is refused until its
 * documented arguments are added here.
 */

/**
 * An argument's type as the reference writes it: `string`, `bool`, `number`, `duration` (a Go
 * duration string such as "10s"), `secret`, `list(string)`, `map(string)`,
 * `list(map(string))` (targets), `list(LogsReceiver)`, `enum(a|b)` (a string among those), or
 * `any` (not checked). A trailing `!` marks a required argument.
 */
export type ArgumentType = string;

/** What a block accepts: arguments (name → type), nested blocks, and exports (name → type). */
export interface BlockSchema {
  arguments: Readonly<Record<string, ArgumentType>>;
  blocks?: Readonly<Record<string, BlockSchema>>;
  exports?: Readonly<Record<string, string>>;
}

const TARGETS = 'list(map(string))';
const RECEIVERS = 'list(LogsReceiver)';

const tlsConfig: BlockSchema = {
  arguments: { ca_pem: 'string', ca_file: 'string', cert_pem: 'string', cert_file: 'string', key_pem: 'secret', key_file: 'string', server_name: 'string', insecure_skip_verify: 'bool', min_version: 'string' },
};
const basicAuth: BlockSchema = { arguments: { username: 'string', password: 'secret', password_file: 'string' } };
const authorization: BlockSchema = { arguments: { type: 'string', credentials: 'secret', credentials_file: 'string' } };

/** `loki.process` stages: which ones may change labels is pipeline.ts's business. */
export const PROCESS_STAGES: Readonly<Record<string, BlockSchema>> = {
  'stage.cri': { arguments: { max_partial_line_size_truncate: 'bool', max_partial_line_size: 'number', max_partial_lines: 'number' } },
  'stage.json': { arguments: { expressions: 'map(string)', regex: 'string', drop_malformed: 'bool', source: 'string' } },
  'stage.labels': { arguments: { values: 'map(string)!', source_type: 'enum(extracted|structured_metadata)' } },
  'stage.static_labels': { arguments: { values: 'map(string)!' } },
  'stage.label_drop': { arguments: { values: 'list(string)!' } },
  'stage.label_keep': { arguments: { values: 'list(string)!' } },
  'stage.structured_metadata': { arguments: { values: 'map(string)', regex: 'string' } },
  'stage.structured_metadata_drop': { arguments: { values: 'list(string)!' } },
  'stage.timestamp': {
    arguments: { source: 'string!', format: 'string!', action_on_failure: 'enum(fudge|skip)', action_on_duplicate_timestamp: 'string', fallback_formats: 'list(string)', location: 'string' },
  },
};

/** Top-level components (they carry a label and have exports) and configuration blocks (`logging`). */
export const COMPONENTS: Readonly<Record<string, BlockSchema>> = {
  logging: { arguments: { level: 'enum(debug|info|warn|error)', format: 'enum(logfmt|json)', write_to: RECEIVERS } },
  'local.file_match': { arguments: { path_targets: `${TARGETS}!`, ignore_older_than: 'duration', sync_period: 'duration' }, exports: { targets: TARGETS } },
  'discovery.kubernetes': {
    arguments: {
      role: 'enum(node|pod|service|endpoints|endpointslice|ingress)!', api_server: 'string', kubeconfig_file: 'string', bearer_token: 'secret',
      bearer_token_file: 'string', proxy_url: 'string', follow_redirects: 'bool', enable_http2: 'bool',
    },
    blocks: {
      selectors: { arguments: { role: 'enum(node|pod|service|endpoints|endpointslice|ingress)!', field: 'string', label: 'string' } },
      namespaces: { arguments: { names: 'list(string)', own_namespace: 'bool' } },
      attach_metadata: { arguments: { node: 'bool', namespace: 'bool' } },
      tls_config: tlsConfig,
    },
    exports: { targets: TARGETS },
  },
  'discovery.relabel': {
    arguments: { targets: `${TARGETS}!` },
    blocks: {
      rule: {
        arguments: {
          action: 'enum(replace|keep|drop|keepequal|dropequal|hashmod|labelmap|labeldrop|labelkeep|lowercase|uppercase)', modulus: 'number',
          regex: 'string', replacement: 'string', separator: 'string', source_labels: 'list(string)', target_label: 'string',
        },
      },
    },
    exports: { output: TARGETS, rules: 'RelabelRules' },
  },
  'loki.source.file': {
    arguments: {
      targets: `${TARGETS}!`, forward_to: `${RECEIVERS}!`, encoding: 'string', legacy_positions_file: 'string',
      on_positions_file_error: 'enum(skip|restart_from_end|restart_from_beginning)', tail_from_end: 'bool',
    },
    blocks: {
      decompression: { arguments: { enabled: 'bool!', format: 'enum(gz|z|bz2)!', initial_delay: 'duration' } },
      file_watch: { arguments: { min_poll_frequency: 'duration', max_poll_frequency: 'duration' } },
      file_match: { arguments: { enabled: 'bool', ignore_older_than: 'duration', sync_period: 'duration' } },
    },
    exports: {},
  },
  'loki.process': { arguments: { forward_to: `${RECEIVERS}!` }, blocks: PROCESS_STAGES, exports: { receiver: 'LogsReceiver' } },
  'loki.write': {
    arguments: { external_labels: 'map(string)', max_streams: 'number' },
    blocks: {
      endpoint: {
        arguments: {
          url: 'string!', name: 'string', batch_size: 'string', batch_wait: 'duration', bearer_token: 'secret', bearer_token_file: 'string',
          enable_http2: 'bool', follow_redirects: 'bool', headers: 'map(string)', http_headers: 'any', max_backoff_period: 'duration',
          max_backoff_retries: 'number', min_backoff_period: 'duration', no_proxy: 'string', proxy_connect_header: 'any',
          proxy_from_environment: 'bool', proxy_url: 'string', remote_timeout: 'duration', retry_on_http_429: 'bool', tenant_id: 'string',
        },
        blocks: { basic_auth: basicAuth, authorization, tls_config: tlsConfig },
      },
    },
    exports: { receiver: 'LogsReceiver' },
  },
};

/**
 * Standard-library names an expression may use without a component behind them, and the type
 * each gives: `sys.env(…)` and `constants.*` are strings, `coalesce` the type of its arguments.
 */
export const STDLIB_ROOTS: ReadonlySet<string> = new Set(['sys', 'constants', 'coalesce', 'string', 'array', 'encoding', 'convert']);
