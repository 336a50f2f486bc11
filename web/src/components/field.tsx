import type { ReactNode } from 'react';

/** What a field's control needs to be labelled and described for assistive technology. */
export interface FieldControl {
  readonly id: string;
  readonly 'aria-invalid': true | undefined;
  readonly 'aria-describedby': string | undefined;
}

/**
 * A labelled form field: its control (rendered by `children` with the ids and ARIA attributes it
 * must carry), an optional hint and an optional error, both tied to the control.
 */
export function Field(props: {
  readonly id: string;
  readonly label: string;
  readonly hint?: ReactNode;
  readonly error?: string | null | undefined;
  /** Marks the control invalid without a message (e.g. a missing sign-in field). */
  readonly invalid?: boolean;
  readonly children: (control: FieldControl) => ReactNode;
}) {
  const { id, label, hint, error } = props;
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {props.children({ id, 'aria-invalid': error || props.invalid ? true : undefined, 'aria-describedby': describedBy || undefined })}
      {hint ? (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A failure a screen reader announces at once; nothing when there is none. */
export function AlertLine({ message, id }: { readonly message: ReactNode; readonly id?: string }) {
  if (!message) return null;
  return (
    <p id={id} className="notice notice-error" role="alert">
      {message}
    </p>
  );
}
