// The live fault-injection settings: start from configuration, can be changed at runtime through
// PUT /faults so a drill needs no restart.
interface FaultSettingsValues {
  errorRate: number;
  latencyMs: number;
}

export class FaultSettings implements FaultSettingsValues {
  constructor(
    public errorRate: number,
    public latencyMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Whether this request should fail; draws once per request. */
  shouldFail(): boolean {
    return this.errorRate > 0 && this.random() < this.errorRate;
  }

  snapshot(): FaultSettingsValues {
    return { errorRate: this.errorRate, latencyMs: this.latencyMs };
  }
}
