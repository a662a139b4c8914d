// How the provider's network is split between Docker and the provider, and which address a new load balancer gets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalAddress, firstFreeAddress, splitSubnet } from '../../src/activities/docker/addresses.js';

describe('splitSubnet', () => {
  it('leaves Docker the upper half of an IPv4 subnet and puts the gateway first', () => {
    assert.deepEqual(splitSubnet('172.30.0.0/16'), {
      Subnet: '172.30.0.0/16',
      IPRange: '172.30.128.0/17',
      Gateway: '172.30.0.1',
    });
  });

  it("leaves Docker the upper half of an IPv6 subnet's first 2^32 addresses, which its allocator can count", () => {
    assert.deepEqual(splitSubnet('fd00:ca9d::/64'), {
      Subnet: 'fd00:ca9d::/64',
      IPRange: 'fd00:ca9d::8000:0/97',
      Gateway: 'fd00:ca9d::1',
    });
  });
});

describe('firstFreeAddress', () => {
  const subnet = splitSubnet('10.5.6.0/24');

  it('gives the lowest address after the gateway that nothing holds or reserves', () => {
    assert.equal(firstFreeAddress(subnet, new Set()), '10.5.6.2');
    assert.equal(firstFreeAddress(subnet, new Set(['10.5.6.2', '10.5.6.3'])), '10.5.6.4');
  });

  it("never gives an address of Docker's own range, and says when the provider's half is full", () => {
    const providerHalf = Array.from({ length: 126 }, (_, index) => `10.5.6.${index + 2}`);
    assert.equal(firstFreeAddress(subnet, new Set(providerHalf.slice(0, 125))), '10.5.6.127');
    assert.equal(firstFreeAddress(subnet, new Set(providerHalf)), undefined);
  });

  it('skips a range Docker allocates from wherever it lies in a network made by someone else', () => {
    const config = { Subnet: '10.5.6.0/24', IPRange: '10.5.6.0/25', Gateway: '10.5.6.254' };
    assert.equal(firstFreeAddress(config, new Set(['10.5.6.128'])), '10.5.6.129');
  });

  it('compares IPv6 addresses however they are written', () => {
    const v6 = splitSubnet('fd00:ca9d::/64');
    assert.equal(firstFreeAddress(v6, new Set([canonicalAddress('fd00:ca9d:0:0:0:0:0:2')])), 'fd00:ca9d::3');
  });
});
