// docker-compose.yml cannot read the provider's own definitions, so these checks keep it from drifting from
// them: the Temporal search attributes, the setting names and their defaults.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from '../../scripts/repo-root.js';
import searchAttributes from '../../src/api/search-attributes.json' with { type: 'json' };
import { loadConfig, settingNames } from '../../src/config.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { host_ip?: string; published?: string | number })[];
  network_mode?: string;
}

interface ComposeFile {
  services: Record<string, Service>;
}

const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')) as ComposeFile;

function service(name: string): Service {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has a service '${name}'`);
  return found;
}

function environmentOf(found: Service): Record<string, string> {
  const environment = found.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const [name = '', ...value] = entry.split('=');
        return [name, value.join('=')];
      }),
    );
  }
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, String(value ?? '')]));
}

/** ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}: the variable names an expression uses. */
const variablePattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*)|:?\?[^}]*)?\}/g;

/** The value Compose gives an expression when none of its variables is set. */
function withDefaults(value: string): string {
  return value.replace(variablePattern, (_match, _name, operator?: string, fallback?: string) =>
    operator ? (fallback ?? '') : '',
  );
}

describe('docker-compose.yml', () => {
  it('registers exactly the search attributes of src/api/search-attributes.json', () => {
    const command = service('temporal').command;
    assert.ok(Array.isArray(command), 'the temporal command is a list of arguments');
    const flags = command.flatMap((argument, index) =>
      argument === '--search-attribute' ? [command[index + 1]] : [],
    );
    const expected = Object.entries(searchAttributes).map(([name, type]) => `${name}=${type}`);
    assert.deepEqual(flags, expected);
    assert.deepEqual(command.slice(0, 2), ['server', 'start-dev']);
  });

  it('runs the whole provider (worker and watcher in one process) from a build of the repository', () => {
    const provider = service('provider');
    assert.ok(provider.build, 'the provider is built from the repository');
    assert.ok(provider.image, 'the build is tagged');
    assert.deepEqual(provider.command, ['all']);
  });

  it('publishes ports on 127.0.0.1 only', () => {
    const published = Object.entries(compose.services).flatMap(([name, found]) =>
      (found.ports ?? []).map((port) => ({ name, port })),
    );
    assert.ok(published.length > 0, 'the Temporal frontend and UI are published');
    for (const { name, port } of published) {
      const hostIp =
        typeof port === 'object'
          ? port.host_ip
          : withDefaults(String(port)).split(':').slice(0, -2).join(':');
      assert.equal(
        hostIp,
        '127.0.0.1',
        `${name} publishes ${JSON.stringify(port)} beyond the loopback address`,
      );
    }
  });

  it('sets only environment variables that are provider settings', () => {
    const known = new Set<string>(settingNames);
    for (const [name, found] of Object.entries(compose.services)) {
      for (const variable of Object.keys(environmentOf(found))) {
        assert.ok(known.has(variable), `${name} sets ${variable}, which src/config.ts does not read`);
      }
    }
    assert.ok(Object.keys(environmentOf(service('provider'))).length > 0);
  });

  it("points the provider at this file's Temporal, on the host's network at the port it publishes", () => {
    const frontend = '$' + '{TEMPORAL_PORT:-7233}';
    assert.ok(service('temporal').ports?.includes(`127.0.0.1:${frontend}:7233`));
    assert.equal(environmentOf(service('provider')).TEMPORAL_ADDRESS, `127.0.0.1:${frontend}`);
    assert.equal(service('provider').network_mode, 'host');
  });

  it('lets each setting be overridden by its own name, and its defaults are the provider defaults', () => {
    const defaults = loadConfig({}) as Record<string, unknown>;
    const { TEMPORAL_ADDRESS: _ofThisFile, ...environment } = environmentOf(service('provider'));
    for (const [variable, value] of Object.entries(environment)) {
      for (const match of value.matchAll(variablePattern)) {
        assert.equal(match[1], variable, `${variable} is set from \${${match[1]}}`);
        const fallback = match[3];
        if (match[2] && fallback) {
          assert.equal(fallback, String(defaults[variable]), `the default of ${variable}`);
        }
      }
    }
    // With nothing set on the host, the values the services get are a valid configuration.
    const resolved = Object.fromEntries(
      Object.entries(environment).map(([variable, value]) => [variable, withDefaults(value)]),
    );
    assert.doesNotThrow(() => loadConfig(resolved), "the provider's default environment is valid");
  });
});
