// What a command works with: the settings, and the Kubernetes and Temporal clients, made when first needed
// (and their modules loaded then: help and usage errors stay fast).
import type { DockerCluster } from '../api/dockercluster.js';
import type { Config } from '../config.js';
import type { Ref } from './args.js';
import type { DockerClusters } from './kubernetes.js';
import type { Temporal } from './temporal.js';

export class Context {
  private kubernetes?: Promise<DockerClusters>;
  private temporalConnection?: Promise<Temporal>;

  constructor(
    readonly config: Config,
    /** Where results go (stdout); messages about the run go to stderr. */
    readonly print: (text: string) => void = (text) => process.stdout.write(`${text}\n`),
  ) {}

  dockerClusters(): Promise<DockerClusters> {
    this.kubernetes ??= import('./kubernetes.js').then(({ DockerClusters }) =>
      DockerClusters.from(this.config),
    );
    return this.kubernetes;
  }

  /** The DockerCluster named on the command line; NotFoundError (exit 3) when there is none. */
  async dockerCluster(ref: Ref): Promise<DockerCluster> {
    return await (await this.dockerClusters()).get(ref.namespace, ref.name);
  }

  temporal(): Promise<Temporal> {
    this.temporalConnection ??= import('./temporal.js').then(({ connectTemporal }) =>
      connectTemporal(this.config),
    );
    return this.temporalConnection;
  }

  async close(): Promise<void> {
    const temporal = await this.temporalConnection?.catch(() => undefined);
    await temporal?.close();
  }
}
