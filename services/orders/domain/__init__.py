"""The order pipeline's pure logic: gates, breaker, limiter, states, paper fills. No I/O."""
