// One implementation for every test in the repository: @samosachaat/service-kit/testing.
export { requireBinary } from '@samosachaat/service-kit/testing';
