// The provider's name: its field manager on the API server, the source of its Events, the stem of its manifests.
export const providerName = 'capd-temporal';
