package audience.devstack;
