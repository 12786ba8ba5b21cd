// Integration tests wait on a real cluster; each still bounds its own waits with `eventually`.
jest.setTimeout(120_000);
