// Which watch events are worth a reconcile: changes to what the reconciler reads, never status writes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster } from '../../src/api/capi.js';
import {
  type DockerCluster,
  endpointFromLoadBalancerAnnotation,
  finalizer,
} from '../../src/api/dockercluster.js';
import { refOf, workflowIdOf } from '../../src/api/refs.js';
import {
  clusterFingerprint,
  dockerClusterFingerprint,
  infrastructureRefOf,
  isFirstProvisioningWrite,
} from '../../src/watcher/changes.js';

function dockerCluster(): DockerCluster {
  return {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1alpha1',
    kind: 'DockerCluster',
    metadata: {
      name: 'dc',
      namespace: 'ns',
      uid: '11111111-1111-1111-1111-111111111111',
      generation: 1,
      resourceVersion: '100',
      annotations: { note: 'a' },
      finalizers: ['dockercluster.infrastructure.cluster.x-k8s.io'],
    },
    spec: { controlPlaneEndpoint: { host: '172.18.0.2', port: 6443 } },
    status: { ready: false },
  };
}

function cluster(): Cluster {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'Cluster',
    metadata: { name: 'c', namespace: 'ns', resourceVersion: '7', generation: 1 },
    spec: {
      infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DockerCluster', name: 'dc' },
      clusterNetwork: { pods: { cidrBlocks: ['192.168.0.0/16'] } },
    },
  };
}

describe('dockerClusterFingerprint', () => {
  const base = dockerClusterFingerprint(dockerCluster());

  it('is the same for the same object', () => {
    assert.equal(dockerClusterFingerprint(dockerCluster()), base);
  });

  const relevant: [string, (object: DockerCluster) => void][] = [
    ['generation (a spec change)', (object) => (object.metadata.generation = 2)],
    ['deletionTimestamp', (object) => (object.metadata.deletionTimestamp = new Date('2030-01-01T00:00:00Z'))],
    [
      'an added annotation',
      (object) => (object.metadata.annotations = { note: 'a', 'cluster.x-k8s.io/paused': '' }),
    ],
    ['a changed annotation', (object) => (object.metadata.annotations = { note: 'b' })],
    ['removed annotations', (object) => delete object.metadata.annotations],
    [
      'ownerReferences',
      (object) =>
        (object.metadata.ownerReferences = [
          { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', name: 'c', uid: 'u' },
        ]),
    ],
    ['finalizers', (object) => (object.metadata.finalizers = [])],
  ];
  for (const [what, change] of relevant) {
    it(`changes with ${what}`, () => {
      const object = dockerCluster();
      change(object);
      assert.notEqual(dockerClusterFingerprint(object), base);
    });
  }

  const irrelevant: [string, (object: DockerCluster) => void][] = [
    [
      'status',
      (object) =>
        (object.status = {
          ready: true,
          initialization: { provisioned: true },
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'Ready',
              message: '',
              lastTransitionTime: '2030-01-01T00:00:00Z',
            },
          ],
        }),
    ],
    ['resourceVersion', (object) => (object.metadata.resourceVersion = '101')],
    ['managedFields', (object) => (object.metadata.managedFields = [{ manager: 'capd-temporal' }])],
  ];
  for (const [what, change] of irrelevant) {
    it(`does not change with ${what}`, () => {
      const object = dockerCluster();
      change(object);
      assert.equal(dockerClusterFingerprint(object), base);
    });
  }
});

describe('isFirstProvisioningWrite', () => {
  /** A DockerCluster as the user applied it: no finalizer, no endpoint. */
  function applied(): DockerCluster {
    const object = dockerCluster();
    object.metadata.finalizers = ['other.example.com/keep'];
    object.spec = {};
    return object;
  }
  function withFinalizer(object: DockerCluster): DockerCluster {
    const next = structuredClone(object);
    next.metadata.finalizers = [...(next.metadata.finalizers ?? []), finalizer];
    return next;
  }
  function withEndpoint(object: DockerCluster, port = 6443): DockerCluster {
    const next = structuredClone(object);
    next.metadata.generation = (next.metadata.generation ?? 0) + 1;
    next.metadata.annotations = {
      ...next.metadata.annotations,
      [endpointFromLoadBalancerAnnotation]: 'true',
    };
    next.spec = { ...next.spec, controlPlaneEndpoint: { host: '172.18.0.2', port } };
    return next;
  }

  it('is true for our finalizer added, and for the endpoint filled in with its annotation', () => {
    const added = withFinalizer(applied());
    assert.equal(isFirstProvisioningWrite(applied(), added), true);
    assert.equal(isFirstProvisioningWrite(added, withEndpoint(added)), true);
    assert.equal(isFirstProvisioningWrite(applied(), withEndpoint(withFinalizer(applied()))), true);
  });

  it('is false when the same update carries anything else', () => {
    const changes: [string, (object: DockerCluster) => void][] = [
      ['another finalizer', (object) => object.metadata.finalizers?.push('x.example.com/y')],
      [
        'an annotation',
        (object) =>
          (object.metadata.annotations = { note: 'b', [endpointFromLoadBalancerAnnotation]: 'true' }),
      ],
      ['a spec field', (object) => (object.spec = { ...object.spec, loadbalancerImage: 'haproxy:3' })],
      ['a second generation', (object) => (object.metadata.generation = 3)],
      ['a deletion', (object) => (object.metadata.deletionTimestamp = new Date('2030-01-01T00:00:00Z'))],
    ];
    for (const [what, change] of changes) {
      const next = withEndpoint(withFinalizer(applied()));
      change(next);
      assert.equal(isFirstProvisioningWrite(applied(), next), false, what);
    }
  });

  it('is false for what a user does to the endpoint, and for our finalizer taken away', () => {
    const provisioned = withEndpoint(withFinalizer(applied()));
    const userHost = structuredClone(applied());
    userHost.metadata.generation = 2;
    userHost.spec = { controlPlaneEndpoint: { host: 'lb.example.com', port: 6443 } };
    assert.equal(isFirstProvisioningWrite(applied(), userHost), false, 'a host without the annotation');
    const portChanged = withEndpoint(provisioned, 7443);
    assert.equal(isFirstProvisioningWrite(provisioned, portChanged), false, 'a changed port');
    const withPort = structuredClone(applied());
    withPort.spec = { controlPlaneEndpoint: { port: 7443 } };
    assert.equal(isFirstProvisioningWrite(withPort, withEndpoint(withPort)), false, 'a port the user set');
    assert.equal(isFirstProvisioningWrite(provisioned, applied()), false, 'finalizer and endpoint gone');
  });
});

describe('clusterFingerprint', () => {
  const base = clusterFingerprint(cluster());

  it('changes with spec.paused', () => {
    const paused = cluster();
    paused.spec = { ...paused.spec, paused: true };
    assert.notEqual(clusterFingerprint(paused), base);
  });

  it('treats an absent spec.paused like paused: false', () => {
    const unpaused = cluster();
    unpaused.spec = { ...unpaused.spec, paused: false };
    assert.equal(clusterFingerprint(unpaused), base);
  });

  it('changes with the paused annotation, even an empty one', () => {
    const paused = cluster();
    paused.metadata.annotations = { 'cluster.x-k8s.io/paused': '' };
    assert.notEqual(clusterFingerprint(paused), base);
  });

  it('changes with the cluster network (the IP family) and the infrastructureRef', () => {
    const ipv6 = cluster();
    ipv6.spec = { ...ipv6.spec, clusterNetwork: { pods: { cidrBlocks: ['fd00::/48'] } } };
    assert.notEqual(clusterFingerprint(ipv6), base);
    const other = cluster();
    other.spec = { ...other.spec, infrastructureRef: { kind: 'DockerCluster', name: 'other' } };
    assert.notEqual(clusterFingerprint(other), base);
  });

  it('does not change with status, resourceVersion or other annotations', () => {
    const object = cluster();
    object.status = {
      initialization: { infrastructureProvisioned: true },
      conditions: [{ type: 'Available', status: 'True' }],
    };
    object.metadata.resourceVersion = '8';
    object.metadata.annotations = { 'example.com/note': 'x' };
    assert.equal(clusterFingerprint(object), base);
  });
});

describe('infrastructureRefOf', () => {
  function withRef(infrastructureRef: NonNullable<Cluster['spec']>['infrastructureRef']): Cluster {
    const object = cluster();
    object.spec = { ...object.spec, infrastructureRef };
    return object;
  }

  it('returns the namespace/name of a DockerCluster of our group', () => {
    assert.deepEqual(infrastructureRefOf(cluster()), { namespace: 'ns', name: 'dc' });
  });

  it('returns the namespace/name of a DockerCluster when apiGroup is absent', () => {
    assert.deepEqual(infrastructureRefOf(withRef({ kind: 'DockerCluster', name: 'dc' })), {
      namespace: 'ns',
      name: 'dc',
    });
  });

  it('returns undefined for another kind', () => {
    assert.equal(
      infrastructureRefOf(
        withRef({ apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'AWSCluster', name: 'a' }),
      ),
      undefined,
    );
  });

  it('returns undefined for a DockerCluster of another group', () => {
    assert.equal(
      infrastructureRefOf(withRef({ apiGroup: 'example.com', kind: 'DockerCluster', name: 'dc' })),
      undefined,
    );
  });

  it('returns undefined without an infrastructureRef or without a name', () => {
    assert.equal(infrastructureRefOf(withRef(undefined)), undefined);
    assert.equal(
      infrastructureRefOf(withRef({ apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DockerCluster' })),
      undefined,
    );
    const noSpec = cluster();
    delete noSpec.spec;
    assert.equal(infrastructureRefOf(noSpec), undefined);
  });
});

describe('workflowIdOf', () => {
  it('differs for two incarnations (uids) of the same name', () => {
    const first = workflowIdOf({ namespace: 'ns', name: 'dc', uid: 'uid-1' });
    const second = workflowIdOf({ namespace: 'ns', name: 'dc', uid: 'uid-2' });
    assert.notEqual(first, second);
  });

  it('is stable for the same incarnation and differs across namespaces', () => {
    const ref = refOf(dockerCluster());
    assert.deepEqual(ref, { namespace: 'ns', name: 'dc', uid: '11111111-1111-1111-1111-111111111111' });
    assert.equal(workflowIdOf(ref), workflowIdOf({ ...ref }));
    assert.notEqual(workflowIdOf(ref), workflowIdOf({ ...ref, namespace: 'other' }));
  });
});
