"""Speed and load benchmarks (`make bench`): build, query, HTTP and start-up figures on the scale corpus."""
