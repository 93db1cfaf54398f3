// The smallest program mica_driver() builds: the SDK template's build test
// (sdk/build/test/BUILD.gn). It is never put in a bootfs.
int main(void) {
  return 0;
}
