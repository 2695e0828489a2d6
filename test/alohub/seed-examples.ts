/**
 * Every code example ("Code mẫu" block) of the two AloHub seed documents, copied verbatim (000 agents, 001 inbound
 * queues), so the contract test replays exactly what an integrator would paste. Keep them byte-for-byte as in
 * the seeds: fix the parser in replay.ts, never the examples.
 */
export interface SeedExample {
  doc: '000' | '001';
  /** The endpoint heading the example sits under. */
  endpoint: string;
  kind: 'curl' | 'axios' | 'python';
  source: string;
}

export const SEED_EXAMPLES: SeedExample[] = [
  {
    doc: '000',
    endpoint: 'GET /v1/agents',
    kind: 'curl',
    source: String.raw`curl -X GET "https://xapi.alohub.vn/v1/agents" \
  -H "X-Api-Key: sk_live_xxx" \
  -H "X-Tenant-ID: 20260310"

# Filter active + queue
curl -X GET "https://xapi.alohub.vn/v1/agents?status=1&queue_id=1001226&page=0&size=20" \
  -H "X-Api-Key: sk_live_xxx" \
  -H "X-Tenant-ID: 20260310"`,
  },
  {
    doc: '000',
    endpoint: 'GET /v1/agents',
    kind: 'axios',
    source: String.raw`const axios = require('axios');
const response = await axios.get(
  '{{host}}/api/v1/agents?team_id=20260310&status=1&queue_id=1001226&page=0&size=20',
  { headers: { 'Authorization': '{{api-key}}', 'X-Tenant-ID': '{{tenant-id}}', 'Content-Type': 'application/json' } }
);
console.log(response.data);`,
  },
  {
    doc: '000',
    endpoint: 'GET /v1/agents',
    kind: 'python',
    source: String.raw`import requests

params = {"team_id": "20260310", "status": "1", "queue_id": "1001226", "page": "0", "size": "20"}
headers = {"Authorization": "{{api-key}}", "X-Tenant-ID": "{{tenant-id}}", "Content-Type": "application/json"}
response = requests.get(
    '{{host}}/api/v1/agents',
    headers=headers, params=params
)
print(response.json())`,
  },
  {
    doc: '000',
    endpoint: 'PUT /v1/agents/{id}/queues',
    kind: 'curl',
    source: String.raw`curl -X PUT "https://xapi.alohub.vn/v1/agents/082018/queues?type=callin" \
  -H "X-Api-Key: sk_live_xxx" \
  -H "X-Tenant-ID: 20260310" \
  -H "Content-Type: application/json" \
  -d '{"queue_ids":[1001226,1000886],"priority":1}'

# Gán callout queue
curl -X PUT "https://xapi.alohub.vn/v1/agents/082018/queues?type=callout" \
  -H "X-Api-Key: sk_live_xxx" \
  -H "X-Tenant-ID: 20260310" \
  -H "Content-Type: application/json" \
  -d '{"queue_ids":[13876]}'`,
  },
  {
    doc: '000',
    endpoint: 'PUT /v1/agents/{id}/queues',
    kind: 'axios',
    source: String.raw`const axios = require('axios');
const response = await axios.put(
  '{{host}}/api/v1/agents/{{id}}/queues?type=callin',
  {
  "queue_ids": [
    1001226,
    1000886
  ],
  "priority": 1
},
  { headers: { 'Authorization': '{{api-key}}', 'X-Tenant-ID': '{{tenant-id}}', 'Content-Type': 'application/json' } }
);
console.log(response.data);`,
  },
  {
    doc: '000',
    endpoint: 'PUT /v1/agents/{id}/queues',
    kind: 'python',
    source: String.raw`import requests

params = {"type": "callin"}
headers = {"Authorization": "{{api-key}}", "X-Tenant-ID": "{{tenant-id}}", "Content-Type": "application/json"}
payload = {
    "queue_ids": [
        1001226,
        1000886
    ],
    "priority": 1
}
response = requests.put(
    '{{host}}/api/v1/agents/{{id}}/queues',
    json=payload,
    headers=headers, params=params
)
print(response.json())`,
  },
  {
    doc: '000',
    endpoint: 'PUT /v1/agents/{id}/recording',
    kind: 'curl',
    source: String.raw`curl -X PUT "https://xapi.alohub.vn/v1/agents/082018/recording" \
  -H "X-Api-Key: sk_live_xxx" \
  -H "X-Tenant-ID: 20260310" \
  -H "Content-Type: application/json" \
  -d '{"enabled":true}'

# Tắt ghi âm
curl -X PUT "https://xapi.alohub.vn/v1/agents/082018/recording" \
  -H "X-Api-Key: sk_live_xxx" \
  -H "X-Tenant-ID: 20260310" \
  -H "Content-Type: application/json" \
  -d '{"enabled":false}'`,
  },
  {
    doc: '000',
    endpoint: 'PUT /v1/agents/{id}/recording',
    kind: 'axios',
    source: String.raw`const axios = require('axios');
const response = await axios.put(
  '{{host}}/api/v1/agents/{{id}}/recording',
  {
  "enabled": true
},
  { headers: { 'Authorization': '{{api-key}}', 'X-Tenant-ID': '{{tenant-id}}', 'Content-Type': 'application/json' } }
);
console.log(response.data);`,
  },
  {
    doc: '000',
    endpoint: 'PUT /v1/agents/{id}/recording',
    kind: 'python',
    source: String.raw`import requests

headers = {"Authorization": "{{api-key}}", "X-Tenant-ID": "{{tenant-id}}", "Content-Type": "application/json"}
payload = {
    "enabled": true
}
response = requests.put(
    '{{host}}/api/v1/agents/{{id}}/recording',
    json=payload,
    headers=headers
)
print(response.json())`,
  },
  {
    doc: '001',
    endpoint: 'GET /v1/queues/inbound',
    kind: 'curl',
    source: String.raw`curl -X GET "https://xapi.alohub.vn/v1/queues/inbound" \
  -H "X-Api-Key: sk_live_xxx" \
  -H "X-Tenant-ID: 20260310"

# Phân trang
curl -X GET "https://xapi.alohub.vn/v1/queues/inbound?page=0&size=10" \
  -H "X-Api-Key: sk_live_xxx" \
  -H "X-Tenant-ID: 20260310"`,
  },
  {
    doc: '001',
    endpoint: 'GET /v1/queues/inbound',
    kind: 'axios',
    source: String.raw`const axios = require('axios');
const response = await axios.get(
  '{{host}}/api/v1/queues/inbound?page=0&size=20',
  { headers: { 'Authorization': '{{api-key}}', 'X-Tenant-ID': '{{tenant-id}}', 'Content-Type': 'application/json' } }
);
console.log(response.data);`,
  },
  {
    doc: '001',
    endpoint: 'GET /v1/queues/inbound',
    kind: 'python',
    source: String.raw`import requests

params = {"page": "0", "size": "20"}
headers = {"Authorization": "{{api-key}}", "X-Tenant-ID": "{{tenant-id}}", "Content-Type": "application/json"}
response = requests.get(
    '{{host}}/api/v1/queues/inbound',
    headers=headers, params=params
)
print(response.json())`,
  },
  {
    doc: '001',
    endpoint: 'GET /v1/queues/inbound/{id}',
    kind: 'curl',
    source: String.raw`curl -X GET "https://xapi.alohub.vn/v1/queues/inbound/1001226" \
  -H "X-Api-Key: sk_live_xxx" \
  -H "X-Tenant-ID: 20260310"`,
  },
  {
    doc: '001',
    endpoint: 'GET /v1/queues/inbound/{id}',
    kind: 'axios',
    source: String.raw`const axios = require('axios');
const response = await axios.get(
  '{{host}}/api/v1/queues/inbound/{{id}}',
  { headers: { 'Authorization': '{{api-key}}', 'X-Tenant-ID': '{{tenant-id}}', 'Content-Type': 'application/json' } }
);
console.log(response.data);`,
  },
  {
    doc: '001',
    endpoint: 'GET /v1/queues/inbound/{id}',
    kind: 'python',
    source: String.raw`import requests

headers = {"Authorization": "{{api-key}}", "X-Tenant-ID": "{{tenant-id}}", "Content-Type": "application/json"}
response = requests.get(
    '{{host}}/api/v1/queues/inbound/{{id}}',
    headers=headers
)
print(response.json())`,
  },
  {
    doc: '001',
    endpoint: 'PUT /v1/queues/inbound/{id}',
    kind: 'curl',
    source: String.raw`curl -X PUT "https://xapi.alohub.vn/v1/queues/inbound/1001226" \
  -H "X-Api-Key: sk_live_xxx" \
  -H "X-Tenant-ID: 20260310" \
  -H "Content-Type: application/json" \
  -d '{"strategy":1}'

# Update nhiều field
curl -X PUT "https://xapi.alohub.vn/v1/queues/inbound/1001226" \
  -H "X-Api-Key: sk_live_xxx" \
  -H "X-Tenant-ID: 20260310" \
  -H "Content-Type: application/json" \
  -d '{"moh_file_id":"waiting.wav","max_wait_sec":"180","strategy":1}'`,
  },
  {
    doc: '001',
    endpoint: 'PUT /v1/queues/inbound/{id}',
    kind: 'axios',
    source: String.raw`const axios = require('axios');
const response = await axios.put(
  '{{host}}/api/v1/queues/inbound/{{id}}',
  {
  "moh_file_id": "waiting.wav",
  "max_wait_sec": "180",
  "strategy": 1,
  "announce_position": "1"
},
  { headers: { 'Authorization': '{{api-key}}', 'X-Tenant-ID': '{{tenant-id}}', 'Content-Type': 'application/json' } }
);
console.log(response.data);`,
  },
  {
    doc: '001',
    endpoint: 'PUT /v1/queues/inbound/{id}',
    kind: 'python',
    source: String.raw`import requests

headers = {"Authorization": "{{api-key}}", "X-Tenant-ID": "{{tenant-id}}", "Content-Type": "application/json"}
payload = {
    "moh_file_id": "waiting.wav",
    "max_wait_sec": "180",
    "strategy": 1,
    "announce_position": "1"
}
response = requests.put(
    '{{host}}/api/v1/queues/inbound/{{id}}',
    json=payload,
    headers=headers
)
print(response.json())`,
  },
];
