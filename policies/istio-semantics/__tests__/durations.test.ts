import { hasSubSecondPart, validateDuration } from '../durations';

describe('durations (Go time.ParseDuration, then at least 1ms and whole milliseconds)', () => {
  it.each(['1ms', '2s', '1.5s', '1m', '1h30m', '300s', '0.001s'])('accepts %j', (d) => {
    expect(validateDuration(d)).toBeUndefined();
  });

  it.each([
    ['999us', 'duration must be greater than 1ms'],
    ['0s', 'duration must be greater than 1ms'],
    ['-1s', 'duration must be greater than 1ms'],
    ['2000000042ns', 'only durations to ms precision are supported'],
    ['1.0005s', 'only durations to ms precision are supported'],
    ['apple', 'bad Duration: time: invalid duration "apple"'],
    ['10', 'bad Duration: time: missing unit in duration "10"'],
  ])('refuses %j', (d, problem) => {
    expect(validateDuration(d)).toBe(problem);
  });

  it('knows whole seconds from sub-second durations (CORS max-age)', () => {
    expect(hasSubSecondPart('2s')).toBe(false);
    expect(hasSubSecondPart('1m')).toBe(false);
    expect(hasSubSecondPart('1500ms')).toBe(true);
  });
});
