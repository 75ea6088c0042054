module.exports = {
  testEnvironment: 'jsdom',
  testEnvironmentOptions: { url: 'https://jest.test/' },
  setupFilesAfterEnv: ['<rootDir>/test/setup.js'],
  testMatch: ['<rootDir>/test/**/*.test.js'],
  collectCoverageFrom: ['services/**/*.js', 'utils/**/*.js', 'components/**/*.js', 'pages/**/*.js'],
};
