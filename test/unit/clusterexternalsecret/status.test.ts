import { fanOutStatus } from '../../../src/controllers/clusterexternalsecret/status';

describe('fanOutStatus', () => {
  it('Ready=True with the namespaces provisioned, sorted', () => {
    expect(
      fanOutStatus(undefined, { externalSecretName: 'pull', provisioned: ['b', 'a'], failed: [] }, 'T1'),
    ).toEqual({
      externalSecretName: 'pull',
      provisionedNamespaces: ['a', 'b'],
      failedNamespaces: [],
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Provisioned',
          message: 'ExternalSecret pull is in 2 namespaces',
          lastTransitionTime: 'T1',
        },
      ],
    });
  });

  it('Ready=False naming the failed namespaces; the time moves only on a transition', () => {
    const failed = [
      { namespace: 'z', reason: 'clash' },
      { namespace: 'c', reason: 'clash' },
    ];
    const first = fanOutStatus(undefined, { externalSecretName: 'pull', provisioned: ['a'], failed }, 'T1');
    expect(first.failedNamespaces).toEqual([
      { namespace: 'c', reason: 'clash' },
      { namespace: 'z', reason: 'clash' },
    ]);
    expect(first.conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'NamespacesFailed',
        message: '2 namespaces failed (c, z); status.failedNamespaces says why',
        lastTransitionTime: 'T1',
      },
    ]);
    const again = fanOutStatus(first, { externalSecretName: 'pull', provisioned: ['a'], failed }, 'T2');
    expect(again.conditions?.[0]?.lastTransitionTime).toBe('T1');
    const healed = fanOutStatus(
      again,
      { externalSecretName: 'pull', provisioned: ['a', 'c', 'z'], failed: [] },
      'T3',
    );
    expect(healed.conditions?.[0]).toMatchObject({ status: 'True', lastTransitionTime: 'T3' });
  });
});
