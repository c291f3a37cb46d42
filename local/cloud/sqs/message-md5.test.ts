import { md5Hex, md5OfMessageAttributes } from './message-md5';

// Reference digests published with an independent implementation of the developer guide's algorithm.
const binary = Buffer.from('Hello binary world!').toString('base64');

describe('md5OfMessageAttributes', () => {
  it('hashes a String attribute', () => {
    expect(
      md5OfMessageAttributes({ attribName1: { DataType: 'String', StringValue: 'attribValue 1' } }),
    ).toBe('19e27d4e946b072f3f58da80d94fd778');
  });

  it('keeps the custom type label in the hash', () => {
    expect(
      md5OfMessageAttributes({
        customNumberTypeAttrib: {
          DataType: 'Number.float',
          StringValue: '4563442423554324324264524243.32543234',
        },
      }),
    ).toBe('9fe1b90bbd9965bdf77bac517c7d2495');
  });

  it('hashes the decoded bytes of a Binary attribute', () => {
    expect(md5OfMessageAttributes({ binaryAttribute: { DataType: 'Binary', BinaryValue: binary } })).toBe(
      '31a92b15d92f8db860eda32aceb656c3',
    );
  });

  it('sorts attributes by name, whatever the input order', () => {
    expect(
      md5OfMessageAttributes({
        customNumberTypeAttrib: {
          DataType: 'Number.float',
          StringValue: '4563442423554324324264524243.32543234',
        },
        binaryAttribute: { DataType: 'Binary', BinaryValue: binary },
        attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
      }),
    ).toBe('c932db14a896c663f83c260297d594ff');
  });

  it('is undefined without attributes', () => {
    expect(md5OfMessageAttributes({})).toBeUndefined();
    expect(md5OfMessageAttributes(undefined)).toBeUndefined();
  });

  it('md5Hex is the hex MD5 of the UTF-8 body', () => {
    expect(md5Hex('hello')).toBe('5d41402abc4b2a76b9719d911017c592');
  });
});
