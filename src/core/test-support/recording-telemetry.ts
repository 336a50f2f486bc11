import type { Telemetry } from '../telemetry.js';

/** Telemetry that keeps what it was told, one line per call (tests of the layers that report it). */
export class RecordingTelemetry implements Telemetry {
  readonly lines: string[] = [];

  httpRequest(method: string, route: string | undefined, status: number): void {
    this.lines.push(`http ${method} ${route ?? '(no route)'} ${status}`);
  }

  engineCall(action: string): (outcome: 'ok' | 'error') => void {
    return (outcome) => void this.lines.push(`engine ${action} ${outcome}`);
  }

  clusterOperation(operation: string, seconds: number): void {
    this.lines.push(`operation ${operation} ${seconds}s`);
  }

  autoscaleDecision(outcome: string): void {
    this.lines.push(`autoscale ${outcome}`);
  }

  gatewayRequest(deniedCode: string | null): void {
    this.lines.push(`gateway ${deniedCode ?? 'forwarded'}`);
  }

  gatewayBytes(received: number, sent: number): void {
    this.lines.push(`bytes ${received} ${sent}`);
  }

  storeError(repository: string): void {
    this.lines.push(`store ${repository}`);
  }
}
