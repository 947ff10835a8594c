/**
 * The Alloy components (and nested blocks) samosaChaat's log-shipping configuration may use,
 * with the arguments, blocks and exports Grafana documents for each (Alloy 1.x component
 * reference). inspect.ts checks the generated files against it: an unknown component,
 * argument or block, a missing required argument, or a reference to an export a component
 * does not have fails the check, as `alloy run` would fail to load the file.
 *
 * The catalogue is deliberately small: a component that is not listed is refused until its
 * documented arguments are added here.
 */

/** What a block accepts: arguments (`name: required?`), nested blocks, and exports. */
export interface BlockSchema {
  arguments: Readonly<Record<string, boolean>>;
  blocks?: Readonly<Record<string, BlockSchema>>;
  exports?: readonly string[];
}

const optional = (...names: string[]): Record<string, boolean> => Object.fromEntries(names.map((name) => [name, false]));
const required = (...names: string[]): Record<string, boolean> => Object.fromEntries(names.map((name) => [name, true]));

const tlsConfig: BlockSchema = { arguments: optional('ca_pem', 'ca_file', 'cert_pem', 'cert_file', 'key_pem', 'key_file', 'server_name', 'insecure_skip_verify', 'min_version') };
const basicAuth: BlockSchema = { arguments: optional('username', 'password', 'password_file') };
const authorization: BlockSchema = { arguments: optional('type', 'credentials', 'credentials_file') };

/** `loki.process` stages: which ones may change labels is inspect.ts's business. */
export const PROCESS_STAGES: Readonly<Record<string, BlockSchema>> = {
  'stage.cri': { arguments: optional('max_partial_line_size_truncate', 'max_partial_line_size', 'max_partial_lines') },
  'stage.json': { arguments: optional('expressions', 'regex', 'drop_malformed', 'source') },
  'stage.labels': { arguments: optional('values', 'source_type') },
  'stage.static_labels': { arguments: optional('values') },
  'stage.label_drop': { arguments: optional('values') },
  'stage.label_keep': { arguments: optional('values') },
  'stage.structured_metadata': { arguments: optional('values', 'regex') },
  'stage.structured_metadata_drop': { arguments: optional('values') },
  'stage.timestamp': { arguments: { ...required('source', 'format'), ...optional('action_on_failure', 'action_on_duplicate_timestamp', 'fallback_formats', 'location') } },
};

/** Top-level components (they carry a label) and configuration blocks (`logging`, no label). */
export const COMPONENTS: Readonly<Record<string, BlockSchema>> = {
  logging: { arguments: optional('level', 'format', 'write_to') },
  'local.file_match': { arguments: { ...required('path_targets'), ...optional('ignore_older_than', 'sync_period') }, exports: ['targets'] },
  'discovery.kubernetes': {
    arguments: { ...required('role'), ...optional('api_server', 'kubeconfig_file', 'bearer_token', 'bearer_token_file', 'proxy_url', 'follow_redirects', 'enable_http2') },
    blocks: {
      selectors: { arguments: { ...required('role'), ...optional('field', 'label') } },
      namespaces: { arguments: optional('names', 'own_namespace') },
      attach_metadata: { arguments: optional('node', 'namespace') },
      tls_config: tlsConfig,
    },
    exports: ['targets'],
  },
  'discovery.relabel': {
    arguments: required('targets'),
    blocks: { rule: { arguments: optional('action', 'modulus', 'regex', 'replacement', 'separator', 'source_labels', 'target_label') } },
    exports: ['output', 'rules'],
  },
  'loki.source.file': {
    arguments: { ...required('targets', 'forward_to'), ...optional('encoding', 'legacy_positions_file', 'on_positions_file_error', 'tail_from_end') },
    blocks: {
      decompression: { arguments: { ...required('enabled', 'format'), ...optional('initial_delay') } },
      file_watch: { arguments: optional('min_poll_frequency', 'max_poll_frequency') },
      file_match: { arguments: optional('enabled', 'ignore_older_than', 'sync_period') },
    },
    exports: [],
  },
  'loki.process': { arguments: required('forward_to'), blocks: PROCESS_STAGES, exports: ['receiver'] },
  'loki.write': {
    arguments: optional('external_labels', 'max_streams'),
    blocks: {
      endpoint: {
        arguments: {
          ...required('url'),
          ...optional('name', 'batch_size', 'batch_wait', 'bearer_token', 'bearer_token_file', 'enable_http2', 'follow_redirects', 'headers', 'http_headers',
            'max_backoff_period', 'max_backoff_retries', 'min_backoff_period', 'no_proxy', 'proxy_connect_header', 'proxy_from_environment', 'proxy_url',
            'remote_timeout', 'retry_on_http_429', 'tenant_id'),
        },
        blocks: { basic_auth: basicAuth, authorization, tls_config: tlsConfig },
      },
    },
    exports: ['receiver'],
  },
};

/**
 * Standard-library names an expression may use without a component behind them: the
 * `sys.env` and `constants.*` namespaces and the `coalesce` function.
 */
export const STDLIB_ROOTS: ReadonlySet<string> = new Set(['sys', 'constants', 'coalesce', 'string', 'array', 'encoding', 'convert']);
