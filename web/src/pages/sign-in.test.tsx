import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api';
import { fakeApi } from '../test-support';
import { SignIn } from './sign-in';

describe('sign in', () => {
  it('asks for what is missing without calling the server', () => {
    const api = fakeApi();
    render(<SignIn api={api} onSignedIn={() => undefined} />);
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByRole('alert').textContent).toBe('Enter your username.');
    expect(document.activeElement).toBe(screen.getByLabelText('Username'));
    expect(api.signIn).not.toHaveBeenCalled();
  });

  it('says clearly when the key is wrong, and what to do', async () => {
    const api = fakeApi({ signIn: vi.fn(() => Promise.reject(new ApiError(401, 'CARINA_ERR_UNAUTHORIZED', 'that username and API key do not match'))) });
    render(<SignIn api={api} onSignedIn={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('API key'), { target: { value: 'carina_wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/username and API key don.t match/);
    expect(alert.textContent).toContain('rotate-key');
    expect(screen.getByLabelText('API key').getAttribute('type')).toBe('password');
  });

  it('signs in with trimmed values', async () => {
    const session = { username: 'alice', csrf_token: 't', expires_at: '' };
    const onSignedIn = vi.fn();
    const api = fakeApi({ signIn: vi.fn(() => Promise.resolve(session)) });
    render(<SignIn api={api} onSignedIn={onSignedIn} notice="Your session has ended." />);
    expect(screen.getByRole('status').textContent).toBe('Your session has ended.');
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: ' alice ' } });
    fireEvent.change(screen.getByLabelText('API key'), { target: { value: ' carina_x ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await vi.waitFor(() => expect(onSignedIn).toHaveBeenCalledWith(session));
    expect(api.signIn).toHaveBeenCalledWith('alice', 'carina_x');
  });
});
