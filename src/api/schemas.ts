/** JSON schemas of the public API: they validate requests and feed the OpenAPI document. */
import { PAGE_LIMIT } from '../core/validation.js';

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
} as const;

export const clusterSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    flavor: { type: 'string' },
    nodes: { type: 'integer', description: 'Desired number of nodes' },
    nodes_ready: { type: ['integer', 'null'], description: 'Nodes the swarm manager reports Ready' },
    autoscale: { type: 'boolean' },
    status: { type: 'string', enum: ['new', 'building', 'active', 'growing', 'shrinking', 'rebuilding', 'deleting', 'error'] },
    status_reason: { type: ['string', 'null'], description: 'Why the cluster is in error, and what to do' },
    endpoint: { type: 'string', description: 'DOCKER_HOST of the cluster' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    node_details: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer' },
          role: { type: 'string', enum: ['manager', 'worker'] },
          status: { type: 'string' },
          address: { type: ['string', 'null'], description: "The node's address in the cluster's own network" },
        },
      },
    },
  },
} as const;

const nameParam = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 63 } },
  required: ['name'],
} as const;

const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema } as const;

export const createClusterSchema = {
  summary: 'Create a cluster',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', maxLength: 63, description: '^[a-zA-Z][a-zA-Z0-9_.-]*$, unique per account' },
      nodes: { type: 'integer', minimum: 1, maximum: 50, default: 1 },
      autoscale: { type: 'boolean', default: false },
      flavor: { type: 'string', maxLength: 64, default: 'container1-4G' },
    },
  },
  response: { 202: clusterSchema, ...errors },
} as const;

export const listClustersSchema = {
  summary: 'List your clusters, by name, a page at a time',
  description: 'Pass the `next` of a page as `after` to get the following one; `next` is null on the last page.',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'string', maxLength: 8, description: `clusters per page, 1 to ${PAGE_LIMIT.max} (default ${PAGE_LIMIT.default})` },
      after: { type: 'string', minLength: 1, maxLength: 63, description: 'the `next` of the previous page' },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: { clusters: { type: 'array', items: clusterSchema }, next: { type: ['string', 'null'], description: 'cursor of the next page' } },
    },
    ...errors,
  },
} as const;

export const getClusterSchema = { summary: 'Get a cluster with its nodes', params: nameParam, response: { 200: clusterSchema, ...errors } } as const;

export const growSchema = {
  summary: 'Add nodes to a cluster',
  params: nameParam,
  body: { type: 'object', additionalProperties: false, required: ['by'], properties: { by: { type: 'integer', minimum: 1, maximum: 50 } } },
  response: { 202: clusterSchema, ...errors },
} as const;

export const resizeSchema = {
  summary: 'Set the number of nodes (fewer: drains and removes the highest-numbered workers; never the manager)',
  params: nameParam,
  body: { type: 'object', additionalProperties: false, required: ['count'], properties: { count: { type: 'integer', minimum: 1, maximum: 50 } } },
  response: { 202: clusterSchema, ...errors },
} as const;

export const rebuildSchema = { summary: 'Re-create the management plane of a cluster', params: nameParam, response: { 202: clusterSchema, ...errors } } as const;

export const autoscaleSchema = {
  summary: 'Turn autoscale on or off',
  params: nameParam,
  body: { type: 'object', additionalProperties: false, required: ['enabled'], properties: { enabled: { type: 'boolean' } } },
  response: { 200: clusterSchema, ...errors },
} as const;

export const deleteSchema = { summary: 'Delete a cluster and everything in it', params: nameParam, response: { 202: clusterSchema, ...errors } } as const;

export const credentialsSchema = {
  summary: 'Download the credentials bundle (zip: ca.pem, cert.pem, key.pem, docker.env, …)',
  params: nameParam,
  response: { ...errors },
} as const;

export const eventsSchema = {
  summary: "A cluster's event log",
  params: nameParam,
  // Query strings are text (body coercion is off), so numbers are matched by pattern.
  querystring: { type: 'object', additionalProperties: false, properties: { after: { type: 'string', pattern: '^[0-9]{1,15}$' } } },
  response: {
    200: {
      type: 'object',
      properties: {
        events: {
          type: 'array',
          items: { type: 'object', properties: { id: { type: 'integer' }, time: { type: 'string' }, type: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
    ...errors,
  },
} as const;

export const rotateCredentialsSchema = {
  summary: 'Issue a new client certificate; the previous one is refused at once (download a new bundle)',
  params: nameParam,
  response: {
    200: {
      type: 'object',
      properties: { cluster: { type: 'string' }, client_serial: { type: 'string' }, message: { type: 'string' } },
    },
    ...errors,
  },
} as const;

export const auditSchema = {
  summary: "The cluster's Docker API audit log (mutating and refused requests; no bodies, secrets redacted)",
  params: nameParam,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { after: { type: 'string', pattern: '^[0-9]{1,15}$' }, limit: { type: 'string', pattern: '^[0-9]{1,4}$' } },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        entries: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'integer' },
              time: { type: 'string' },
              account: { type: 'string' },
              method: { type: 'string' },
              path: { type: 'string' },
              status: { type: 'integer' },
              cert_serial: { type: 'string' },
              denied_code: { type: ['string', 'null'], description: 'CARINA-10xx when the gateway refused the request (docs/policy.md)' },
            },
          },
        },
      },
    },
    ...errors,
  },
} as const;

export const quotasSchema = {
  summary: "Your account's quotas and usage",
  response: {
    200: {
      type: 'object',
      properties: { max_clusters: { type: 'integer' }, max_nodes_per_cluster: { type: 'integer' }, clusters: { type: 'integer' } },
    },
    ...errors,
  },
} as const;

export const flavorsSchema = {
  summary: 'Node flavors',
  response: {
    200: {
      type: 'object',
      properties: {
        flavors: {
          type: 'array',
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, memory_bytes: { type: 'integer' }, memory: { type: 'string' }, vcpus: { type: 'integer' }, disk_gb: { type: 'integer' } },
          },
        },
      },
    },
  },
} as const;

const usageNumbers = {
  capacity_cpus: { type: ['number', 'null'] },
  capacity_memory_bytes: { type: ['integer', 'null'] },
  reserved_cpus: { type: 'number' },
  reserved_memory_bytes: { type: ['integer', 'null'] },
  used_cpus: { type: ['number', 'null'], description: 'vCPUs in use (sampled over about a second); null if not measured' },
  used_memory_bytes: { type: ['integer', 'null'] },
  containers: { type: ['integer', 'null'] },
  tasks: { type: ['integer', 'null'] },
} as const;

export const usageSchema = {
  summary: 'Reserved and used CPU and memory per node and in total (what the autoscaler looks at)',
  params: nameParam,
  response: {
    200: {
      type: 'object',
      properties: {
        cluster: { type: 'string' },
        nodes: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, ...usageNumbers } } },
        total: { type: 'object', properties: usageNumbers },
      },
    },
    ...errors,
  },
} as const;
