// What can go wrong in a CLI command, each with the exit code scripts can rely on.

export const exitCodes = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  notFound: 3,
  temporalUnreachable: 4,
  kubernetesUnreachable: 5,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Bad arguments: the usage is printed with the message. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, exitCodes.usage);
  }
}

export class NotFoundError extends CliError {
  constructor(namespace: string, name: string) {
    super(`DockerCluster ${namespace}/${name} not found`, exitCodes.notFound);
  }
}

export class TemporalUnreachableError extends CliError {
  constructor(address: string, cause: unknown) {
    super(
      `cannot reach Temporal at ${address}: ${messageOf(cause)} (set TEMPORAL_ADDRESS to the Temporal frontend's host:port)`,
      exitCodes.temporalUnreachable,
      { cause },
    );
  }
}

export class KubernetesUnreachableError extends CliError {
  /** Without a server: the kubeconfig itself could not be read. */
  constructor(server: string | undefined, kubeconfig: string, cause: unknown) {
    const where = server
      ? `cannot reach the Kubernetes API at ${server} (kubeconfig ${kubeconfig})`
      : `cannot read the kubeconfig ${kubeconfig}`;
    super(`${where}: ${messageOf(cause)} (set KUBECONFIG)`, exitCodes.kubernetesUnreachable, { cause });
  }
}

export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const message = error.message.split('\n')[0] ?? '';
  const cause = error.cause instanceof Error ? messageOf(error.cause) : undefined;
  return cause && !message.includes(cause) ? `${message}: ${cause}` : message;
}
